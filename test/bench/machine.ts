/** What the results file says about the machine a run measured on. */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { processTree } from './processes.ts';
import type { Tools } from './tools.ts';

const run = promisify(execFile);

export interface Machine {
  readonly cpus: number;
  readonly model: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly tools: string;
  readonly commit: string;
  /** 1-minute load average when the run started (other work on the machine shows here). */
  readonly loadAtStart: number;
  /** Share of the CPU other processes used in the second before the run (0..1). */
  readonly othersAtStart: number;
}

async function commit(): Promise<string> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: import.meta.dirname });
    const { stdout: dirty } = await run('git', ['status', '--porcelain'], { cwd: import.meta.dirname });
    return `${stdout.trim()}${dirty.trim() === '' ? '' : ' (with uncommitted changes)'}`;
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(tools: Tools): Promise<Machine> {
  const found = [...tools.found.values()].map((t) => `${t.name} ${t.version}`);
  const missing = [...tools.missing.keys()].map((name) => `${name} missing`);
  return {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: `Linux ${release()}`,
    node: process.version,
    tools: [...found, ...missing].join(', '),
    commit: await commit(),
    loadAtStart: loadavg()[0] ?? Number.NaN,
    othersAtStart: await othersOverASecond(),
  };
}

async function othersOverASecond(): Promise<number> {
  const from = sampleCpu();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return othersShare(from, sampleCpu());
}

export function machineLines(m: Machine): string[] {
  return [
    `- CPU: ${m.cpus} × ${m.model}; memory ${m.memoryGiB} GiB; ${m.kernel}`,
    `- Node.js ${m.node}${m.tools === '' ? '' : `; ${m.tools}`}`,
    `- Turnpike commit ${m.commit}`,
    `- load average (1 min) at the start ${m.loadAtStart.toFixed(2)}, at the end ${(loadavg()[0] ?? Number.NaN).toFixed(2)}; other processes used ${(m.othersAtStart * 100).toFixed(0)}% of the CPU in the second before the run`,
  ];
}

/** CPU time so far, in clock ticks: the machine's (busy, total) and this process tree's. */
export interface CpuSample {
  readonly busy: number;
  readonly total: number;
  readonly ours: number;
}

/** utime + stime + cutime + cstime of one process (stat(5) fields 14-17), in clock ticks. */
export function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is stat(5)'s field 3 (state): 14-17 are at 11-14.
    return [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i] ?? 0), 0);
  } catch {
    return 0; // Ended meanwhile: its time is in its parent's cutime now.
  }
}

/**
 * From /proc. "Ours" sums this process and every live descendant, each with the children it has
 * waited for: every process the suite started, PostgreSQL's excepted (a daemon, never a
 * descendant), which therefore counts as another process.
 */
export function sampleCpu(): CpuSample {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.slice(0, 8).reduce((n, v) => n + v, 0);
    const ours = processTree(process.pid).reduce((n, pid) => n + processTicks(pid), 0);
    return { busy: total - idle, total, ours };
  } catch {
    return { busy: Number.NaN, total: Number.NaN, ours: Number.NaN };
  }
}

/** The share of the machine's CPU time between two samples that other processes used (0..1). */
export function othersShare(from: CpuSample, to: CpuSample): number {
  const total = to.total - from.total;
  const others = to.busy - from.busy - (to.ours - from.ours);
  return total > 0 ? Math.max(0, others) / total : Number.NaN;
}
