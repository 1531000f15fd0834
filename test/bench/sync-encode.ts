/**
 * The snapshot encode figure of the config sync benchmark (figure 2b): how long the one encoder
 * (shared/src/sync/encode.ts) takes for a whole configuration, and — what matters to the control
 * plane's Admin API and to every sync stream — the longest the event loop could not run
 * anything meanwhile, from perf_hooks.monitorEventLoopDelay. Next to it, for comparison, the
 * one-shot synchronous encoding it replaced (JSON.stringify + zstdCompressSync), which holds the
 * event loop for its whole duration.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { constants, zstdCompressSync } from 'node:zlib';
import { assertEntity } from '@turnpike/shared/schema';
import { type ConfigContent, encodeSnapshotPayload } from '@turnpike/shared/sync';
import { bytes, median, ms, type Report } from './report.ts';
import { type EntityTemplates, syntheticConfig } from './sync-inprocess.ts';

/**
 * A service and a route with every field the control plane stores (the schema's defaults), for
 * a run of this figure alone (`--encode`), without a cluster to take real rows from.
 */
export function storedShape(): EntityTemplates {
  const insert = { operation: 'insert', now: 1_764_000_000 } as const;
  const service = assertEntity('services', { name: 'bench', url: 'http://127.0.0.1:9' }, insert);
  const route = assertEntity(
    'routes',
    { name: 'r-0', paths: ['/bg/0'], service: { id: service.id } },
    insert,
  );
  return { service: { ...service }, route: { ...route } };
}

/** The encode target: the event loop is never held longer than this by an encoding. */
const STALL_TARGET_MS = 5;

interface EncodeRun {
  totalMs: number;
  /** The longest event-loop delay seen while encoding (monitorEventLoopDelay's max). */
  stallMs: number;
  p99Ms: number;
  /**
   * The main thread's own CPU time within the longest gap between two 1 ms ticks: what the
   * encoder itself held, apart from time the OS gave to other processes (this machine is shared).
   */
  cpuInWorstGapMs: number;
  compressed: number;
  json: number;
}

function threadCpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function encodeOnce(config: ConfigContent): Promise<EncodeRun> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let lastTick = performance.now();
  let lastCpu = threadCpuMs();
  let worstGap = 0;
  let cpuInWorstGapMs = 0;
  const ticks = setInterval(() => {
    const now = performance.now();
    const cpu = threadCpuMs();
    if (now - lastTick > worstGap) {
      worstGap = now - lastTick;
      cpuInWorstGapMs = cpu - lastCpu;
    }
    lastTick = now;
    lastCpu = cpu;
  }, 1);
  delay.enable();
  const t0 = performance.now();
  const encoded = await encodeSnapshotPayload(config, { maxPayload: Number.MAX_SAFE_INTEGER });
  const totalMs = performance.now() - t0;
  delay.disable();
  clearInterval(ticks);
  return {
    totalMs,
    stallMs: delay.max / 1e6,
    p99Ms: delay.percentile(99) / 1e6,
    cpuInWorstGapMs,
    compressed: encoded.payload.length,
    json: encoded.uncompressedSize,
  };
}

/** What the control plane did before: one synchronous block, so the block is the duration. */
function synchronousOnce(config: ConfigContent): number {
  const t0 = performance.now();
  const entities: Record<string, unknown[]> = {};
  for (const [type, byId] of config) entities[type] = [...byId.values()];
  zstdCompressSync(Buffer.from(JSON.stringify({ entities })), {
    params: { [constants.ZSTD_c_compressionLevel]: 3 },
  });
  return performance.now() - t0;
}

/** Figure 2b: snapshot encode time and event-loop stall, by route count. */
export async function encodeFigures(
  report: Report,
  t: EntityTemplates,
  sizes: readonly number[],
  runs: number,
): Promise<void> {
  for (const n of sizes) {
    const config = syntheticConfig(t, n);
    await encodeOnce(config); // warm: the first run also compiles the code it runs
    const samples: EncodeRun[] = [];
    for (let run = 0; run < runs; run++) samples.push(await encodeOnce(config));
    const blocking = Array.from({ length: Math.min(runs, 3) }, () => synchronousOnce(config));
    const worst = Math.max(...samples.map((s) => s.stallMs));
    const typical = median(samples.map((s) => s.stallMs));
    const size = samples[0];
    report.add(
      `snapshot encode, ${n.toLocaleString('en')} routes: longest event-loop stall`,
      `median of runs ${ms(typical)}, worst ${ms(worst)} (own CPU in the worst gap: ` +
        `${ms(Math.max(...samples.map((s) => s.cpuInWorstGapMs)))}; p99 delay ${ms(median(samples.map((s) => s.p99Ms)))}); ` +
        `encode ${ms(median(samples.map((s) => s.totalMs)))}, ${bytes(size?.json ?? Number.NaN)} JSON → ` +
        `${bytes(size?.compressed ?? Number.NaN)} zstd (n=${runs}); ` +
        `the synchronous encoding it replaced stalls it ${ms(median(blocking))}`,
      `≤ ${STALL_TARGET_MS} ms`,
      typical <= STALL_TARGET_MS,
    );
  }
}
