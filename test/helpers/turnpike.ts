import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** The CLI as `npm start` and the package's `bin` run it: the shim, which switches Node's compile cache on first. */
export const TURNPIKE_BIN = join(REPO_ROOT, 'bin/turnpike.mjs');

/**
 * The machine's own `node`, as a user's shell finds it on PATH, passing over the Node 24 that
 * scripts/toolchain.sh puts first (.tools/) and anything else inside the repository; this
 * process's Node when the machine has no other.
 */
export function machineNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || resolve(dir).startsWith(REPO_ROOT)) continue;
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there: the next PATH entry
    }
  }
  return process.execPath;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Variables a whole run may set for every process it starts: the PostgreSQL of the suite, and
 * the switches of the native addon (`TURNPIKE_NATIVE=off` runs the suite without it,
 * `TURNPIKE_STREAM_SPLICE=off` with stream bytes piped in JS instead of spliced).
 */
const RUN_WIDE = new Set(['TURNPIKE_TEST_PG', 'TURNPIKE_NATIVE', 'TURNPIKE_STREAM_SPLICE']);

/**
 * process.env without TURNPIKE_* and KONG_* settings (both are read as configuration), so a
 * developer's shell cannot change a test's outcome, and without node:test's NODE_TEST_CONTEXT
 * (a child's own `node --test` would take itself for part of this run and run nothing). Only
 * the RUN_WIDE switches pass.
 */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    const config = k.startsWith('TURNPIKE_') || k.startsWith('KONG_') || k === 'NODE_TEST_CONTEXT';
    if (v !== undefined && (!config || RUN_WIDE.has(k))) env[k] = v;
  }
  return env;
}

/** Runs `turnpike <args>` to completion, as a user would from a shell. */
export function runTurnpike(
  args: string[],
  env: Record<string, string> = {},
  cwd = REPO_ROOT,
): Promise<CommandResult> {
  return runProgram(process.execPath, [TURNPIKE_BIN, ...args], env, cwd);
}

/** Runs any program to completion with the clean environment plus `env`, collecting its output. */
export async function runProgram(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd = REPO_ROOT,
): Promise<CommandResult> {
  const child = spawn(command, args, {
    cwd,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface RunningTurnpike extends AsyncDisposable {
  readonly child: ChildProcess;
  readonly prefix: string;
  /** The TURNPIKE_* environment it was started with: pass it to `runTurnpike` to address this node. */
  readonly env: Record<string, string>;
  readonly lines: LogLine[];
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

export interface StartOptions {
  /** Added to the node's environment; a key set to '' is left out (the helper's default too). */
  env?: Record<string, string>;
  args?: string[];
  /** The log message that means "started"; default Turnpike's own. */
  readyMessage?: string;
  /** `start` (default) or `restart`. */
  command?: 'start' | 'restart';
  /** Pins the node (and every process it forks) to these CPUs, as `taskset -c` reads them ("0"). */
  cpus?: string;
}

/** Starts `turnpike start` as a real process with its own prefix; disposing stops it and removes the prefix. */
export async function startTurnpike(options: StartOptions = {}): Promise<RunningTurnpike> {
  // A prefix the caller gives outlives this process (a restart test reuses it); ours is removed.
  const ownPrefix = options.env?.TURNPIKE_PREFIX === undefined;
  const prefix = options.env?.TURNPIKE_PREFIX ?? (await mkdtemp(join(tmpdir(), 'turnpike-prefix-')));
  // One proxy worker unless a test asks for more: every node forks its workers, and the machine has two cores.
  const env = {
    TURNPIKE_PREFIX: prefix,
    TURNPIKE_LOG_LEVEL: 'info',
    TURNPIKE_WORKER_PROCESSES: '1',
    // Port 8002 is one per machine: a test that wants the Admin GUI gives it a free port.
    TURNPIKE_ADMIN_GUI_LISTEN: 'off',
    ...options.env,
  };
  // An empty value drops the helper's default (a test whose config file sets the key itself).
  for (const [key, value] of Object.entries(env))
    if (value === '') delete (env as Record<string, string>)[key];
  const argv = [TURNPIKE_BIN, options.command ?? 'start', ...(options.args ?? [])];
  // taskset execs node in its own process: the child's pid is the node's.
  const [command, args] =
    options.cpus === undefined
      ? [process.execPath, argv]
      : ['taskset', ['-c', options.cpus, process.execPath, ...argv]];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 30, msg: text };
    }
    lines.push(line);
    for (const w of waiters) {
      if (w.match(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const waitForLog = (match: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> => {
    const seen = lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(`no matching log line within ${timeoutMs}ms\nstderr:\n${stderr}\nlogs:\n${dump(lines)}`),
        );
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolveLine(l);
        },
      };
      waiters.add(waiter);
      exited.then((code) => {
        if (!waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(
          new Error(
            `turnpike exited with ${code} before the expected log line\nstderr:\n${stderr}\nlogs:\n${dump(lines)}`,
          ),
        );
      });
    });
  };

  const running: RunningTurnpike = {
    child,
    prefix,
    env,
    lines,
    stderr: () => stderr,
    waitForLog,
    exited,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownPrefix) await rm(prefix, { recursive: true, force: true });
    },
  };
  try {
    // Generous: the embedded datastore (PostgreSQL in WebAssembly) takes seconds to open on a busy machine.
    await waitForLog((l) => l.msg === (options.readyMessage ?? 'Turnpike started'), 90_000);
  } catch (err) {
    await running[Symbol.asyncDispose]();
    throw err;
  }
  return running;
}

function dump(lines: readonly LogLine[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n');
}

/** One proxy worker as the status listener's `/status` lists it. */
export interface ProxyWorkerRow {
  readonly slot: number;
  readonly pid: number;
  readonly state: string;
  readonly restarts: number;
}

/** The data plane's proxy workers, from the status listener at `statusUrl`. */
export async function proxyWorkers(statusUrl: string): Promise<ProxyWorkerRow[]> {
  const res = await fetch(`${statusUrl}/status`);
  return ((await res.json()) as { data_plane: { workers: ProxyWorkerRow[] } }).data_plane.workers;
}

/** Free loopback ports for a node's Admin API, proxy and status listener, and the env that binds them. */
export async function nodeListeners(): Promise<{
  readonly adminUrl: string;
  readonly proxyPort: number;
  readonly statusUrl: string;
  readonly env: Record<string, string>;
}> {
  const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()];
  return {
    adminUrl: `http://127.0.0.1:${admin}`,
    proxyPort: proxy,
    statusUrl: `http://127.0.0.1:${status}`,
    env: {
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
    },
  };
}
