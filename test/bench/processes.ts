/**
 * The processes the benchmark starts, seen through /proc (Linux): a process tree, pinning it to
 * CPUs with `taskset`, its memory from smaps_rollup, and the helper roles (upstream, gateways)
 * spawned as children that print `PORT <n>` once listening.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The direct children of `pid` (every thread's children file). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text !== '') for (const child of text.split(/\s+/)) out.push(Number(child));
    } catch {
      // The thread ended while we read: its children are listed by another.
    }
  }
  return out;
}

/** `pid` and all its descendants, parents first. */
export function processTree(pid: number): number[] {
  const tree: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    tree.push(next);
    queue.push(...childrenOf(next));
  }
  return tree;
}

/** Every descendant of this process (not itself). */
export function descendants(): number[] {
  return processTree(process.pid).slice(1);
}

/** The command line of a process, for reports of leftovers. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** All CPUs of this machine as a taskset list, e.g. `0-1`. */
/** utime + stime of `pid`'s whole tree so far, in seconds (/proc/<pid>/stat; USER_HZ 100). */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we read.
    }
  }
  return ticks / 100;
}

export const ALL_CPUS = `0-${availableParallelism() - 1}`;

/** Pins every thread of one process to `cpus` (a taskset list: `0`, `0,1`, `0-1`); its children keep theirs. */
export async function pinProcess(pid: number, cpus: string): Promise<void> {
  try {
    await run('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
  } catch {
    // The process ended meanwhile: nothing to pin.
  }
}

/** Pins every process of `pid`'s tree to `cpus`. */
export async function pinTree(pid: number, cpus: string): Promise<void> {
  for (const member of processTree(pid)) await pinProcess(member, cpus);
}

/** Resident, proportional and peak resident set sizes of one process, in bytes. */
export interface ProcessMemory {
  readonly pid: number;
  readonly command: string;
  readonly rss: number;
  readonly pss: number;
  /** VmHWM: the highest RSS the process reached. */
  readonly peakRss: number;
}

export async function processMemory(pid: number): Promise<ProcessMemory> {
  const kib = (text: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  try {
    const [rollup, status] = await Promise.all([
      readFile(`/proc/${pid}/smaps_rollup`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    return {
      pid,
      command: commandOf(pid),
      rss: kib(rollup, 'Rss'),
      pss: kib(rollup, 'Pss'),
      peakRss: kib(status, 'VmHWM'),
    };
  } catch {
    return { pid, command: '(gone)', rss: Number.NaN, pss: Number.NaN, peakRss: Number.NaN };
  }
}

/** A node's memory: every process of its tree, and the sums (PSS counts shared pages once). */
export interface TreeMemory {
  readonly processes: readonly ProcessMemory[];
  readonly rss: number;
  readonly pss: number;
}

export async function treeMemory(pid: number): Promise<TreeMemory> {
  const processes = await Promise.all(processTree(pid).map(processMemory));
  return {
    processes,
    rss: processes.reduce((n, p) => n + p.rss, 0),
    pss: processes.reduce((n, p) => n + p.pss, 0),
  };
}

/** A child process that printed `PORT <n>`; disposing stops it (SIGTERM, then SIGKILL after 5 s). */
export interface ListeningChild extends AsyncDisposable {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Stops `child` and waits for its exit: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Spawns `command args`, and resolves once it prints `PORT <n>` on stdout (within `timeoutMs`). */
export async function spawnListening(
  command: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<ListeningChild> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const dispose = () => stopChild(child);
  const lines = createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    (async () => {
      for await (const line of lines) {
        const m = /^PORT (\d+)$/.exec(line);
        if (m) return Number(m[1]);
      }
      throw new Error(`${[command, ...args].join(' ')} exited before listening`);
    })(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${[command, ...args].join(' ')} did not listen within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ])
    .catch(async (error: unknown) => {
      await dispose();
      throw error;
    })
    .finally(() => clearTimeout(timer));
  // Keep draining stdout so that the child never blocks on a full pipe.
  child.stdout!.resume();
  return { child, port, [Symbol.asyncDispose]: dispose };
}

/**
 * Stops whatever is still running below this process (after a failure or Ctrl-C): SIGTERM to
 * every descendant, SIGKILL to those alive after `graceMs`. Returns the command lines it found.
 */
export async function stopDescendants(graceMs = 5_000): Promise<string[]> {
  const pids = descendants();
  const found = pids.map((pid) => `${pid} ${commandOf(pid)}`);
  for (const pid of pids.reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const until = Date.now() + graceMs;
  while (descendants().length > 0 && Date.now() < until) await sleep(50);
  for (const pid of descendants()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return found;
}
