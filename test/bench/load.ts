/**
 * The load generators: `wrk` (closed loop, as fast as the target answers: throughput and
 * latency at saturation) and `hey -q` (a fixed request rate: latency where the target is not
 * saturated). Each runs pinned to the load generator's CPU with `taskset`; their output is
 * parsed into figures here.
 */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Linux's USER_HZ: /proc times are in 1/100 s. */
const TICKS_PER_SECOND = 100;

/** CPU time of the children this process has waited for (cutime + cstime), in ticks. */
function waitedChildrenTicks(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return Number.NaN;
  }
}

/**
 * Runs a load generator to completion and returns its output and the share of one CPU it used
 * (from our cutime: the generator is the only child that exits meanwhile). Near 1 means the
 * generator, not the target, may have set the pace.
 */
async function runGenerator(file: string, args: string[], seconds: number, maxBuffer: number) {
  const before = waitedChildrenTicks();
  const t0 = performance.now();
  const { stdout } = await run(file, args, { timeout: (seconds + 30) * 1000, maxBuffer });
  const wall = (performance.now() - t0) / 1000;
  const cpu = (waitedChildrenTicks() - before) / TICKS_PER_SECOND / wall;
  return { stdout, cpu };
}

/** What one request looks like: the same for every target of a run. */
export interface LoadRequest {
  /** The full URL, e.g. `http://127.0.0.1:8000/bench`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** One run of a load generator. */
export interface LoadFigures {
  /** wrk: the throughput; hey: the rate achieved, close to the asked one unless someone fell behind. */
  readonly rps: number;
  /** Latency quantiles in ms. */
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  /** Answers other than 2xx (wrk: other than 2xx/3xx), plus transport errors. */
  readonly errors: number;
  /** Share of one CPU the generator used (0..1); set by runWrk and runHey. */
  readonly generatorCpu?: number;
}

export type WrkFigures = LoadFigures;
export type HeyFigures = LoadFigures;

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function wrkDuration(value: string, unit: string): number {
  const factor = UNIT_MS[unit];
  if (factor === undefined) throw new Error(`wrk: unknown time unit ${unit}`);
  return Number(value) * factor;
}

/** Figures from `wrk --latency` output; throws when the output has none (wrk failed). */
export function parseWrk(output: string): WrkFigures {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  if (rps === null) throw new Error(`wrk printed no Requests/sec:\n${output}`);
  const quantile = (q: number) => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return m === null ? Number.NaN : wrkDuration(m[1]!, m[2]!);
  };
  const requests = Number(/^\s+(\d+) requests in /m.exec(output)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((n, v) => n + Number(v), 0);
  return {
    rps: Number(rps[1]),
    p50: quantile(50),
    p99: quantile(99),
    requests,
    errors: non2xx + socketErrors,
  };
}

/** Figures from hey's summary output; throws when the output has none (hey failed). */
export function parseHey(output: string): HeyFigures {
  const rps = /^\s*Requests\/sec:\s+([\d.]+)/m.exec(output);
  if (rps === null) throw new Error(`hey printed no Requests/sec:\n${output}`);
  const quantile = (q: number) => {
    const m = new RegExp(`^\\s+${q}% in ([\\d.]+) secs`, 'm').exec(output);
    return m === null ? Number.NaN : Number(m[1]) * 1000;
  };
  let ok = 0;
  let failed = 0;
  for (const m of output.matchAll(/^\s+\[(\d{3})\]\s+(\d+) responses/gm)) {
    if (m[1]!.startsWith('2')) ok += Number(m[2]);
    else failed += Number(m[2]);
  }
  const errorBlock = /^Error distribution:\n([\s\S]*)$/m.exec(output)?.[1] ?? '';
  for (const m of errorBlock.matchAll(/^\s+\[(\d+)\]\s/gm)) failed += Number(m[1]);
  return { rps: Number(rps[1]), p50: quantile(50), p99: quantile(99), requests: ok + failed, errors: failed };
}

function headerArgs(request: LoadRequest): string[] {
  return Object.entries(request.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
}

/** The command prefix that pins a load generator to `cpu` (none when this machine has one CPU). */
function pinned(cpu: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [command, args] : ['taskset', ['-c', cpu, command, ...args]];
}

export interface LoadOptions {
  /** Path of the binary. */
  readonly tool: string;
  /** The CPU the generator runs on (`taskset -c`); undefined: not pinned. */
  readonly cpu: string | undefined;
}

/** `wrk -t1 -c<connections> -d<seconds>s --latency`: one thread, as in BENCH-BASELINE.md. */
export async function runWrk(
  options: LoadOptions,
  request: LoadRequest,
  seconds: number,
  connections = 50,
): Promise<WrkFigures> {
  const [file, args] = pinned(options.cpu, options.tool, [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    ...headerArgs(request),
    request.url,
  ]);
  const { stdout, cpu } = await runGenerator(file, args, seconds, 1024 * 1024);
  return { ...parseWrk(stdout), generatorCpu: cpu };
}

/**
 * `hey -z <seconds>s -c <workers> -q <rate/workers>`: each of the workers sends at most its share
 * of `rate` per second, so the target sees `rate` req/s as long as it keeps up.
 */
export async function runHey(
  options: LoadOptions,
  request: LoadRequest,
  seconds: number,
  rate: number,
  workers = 50,
): Promise<HeyFigures> {
  const [file, args] = pinned(options.cpu, options.tool, [
    '-z',
    `${seconds}s`,
    '-c',
    String(workers),
    '-q',
    String(rate / workers),
    '-cpus',
    '1',
    ...headerArgs(request),
    request.url,
  ]);
  const { stdout, cpu } = await runGenerator(file, args, seconds, 16 * 1024 * 1024);
  return { ...parseHey(stdout), generatorCpu: cpu };
}
