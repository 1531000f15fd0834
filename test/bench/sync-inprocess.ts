/**
 * The in-process figures of the config sync benchmark: bytes on the wire (figure 2) and the
 * data plane's apply path (figure 3), on configurations built from real stored rows.
 * Each measured step is the one the data plane runs: decodeSnapshotPayload + hashConfig, then a
 * proxy worker's ConfigApplier.apply (entity decoder, compileRuntime, swap) for a snapshot; and
 * changeFromWire, then ConfigApplier.applyDelta (applyDelta, decoder of the changed entities,
 * patchRuntime, swap) for a delta.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { deserialize, serialize } from 'node:v8';
import { ConfigApplier } from '@turnpike/data-plane/config';
import { startProxy } from '@turnpike/data-plane/proxy';
import { writeCacheFile } from '@turnpike/data-plane/sync';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import { ControlPlaneMessage } from '@turnpike/proto';
import { createLogger } from '@turnpike/shared';
import {
  applyDelta,
  type ConfigChange,
  type ConfigContent,
  changeFromWire,
  changeToWire,
  decodeSnapshotPayload,
  encodeSnapshotPayload,
  hashConfig,
  plainConfig,
} from '@turnpike/shared/sync';
import { Client } from 'undici';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { type Budget, bytes, describe, distribution, median, ms, type Report } from './report.ts';

/** One service and one route as the control plane stores and syncs them. */
export interface EntityTemplates {
  readonly service: Record<string, unknown>;
  readonly route: Record<string, unknown>;
}

/** gRPC frames each message with 1 byte of compression flag and 4 of length. */
const GRPC_MESSAGE_PREFIX = 5;

export function templateRoute(t: EntityTemplates, i: number): Record<string, unknown> {
  return { ...t.route, id: randomUUID(), name: `r-${i}`, paths: [`/bg/${i}`] };
}

/** One service and `routes` routes shaped like the stored ones, each with its own id, name and path. */
export function syntheticConfig(t: EntityTemplates, routes: number): ConfigContent {
  const byId = new Map<string, unknown>();
  for (let i = 0; i < routes; i++) {
    const route = templateRoute(t, i);
    byId.set(route.id as string, route);
  }
  return new Map([
    ['services', new Map([[t.service.id as string, t.service]])],
    ['routes', byId],
  ]);
}

/** The Delta message the control plane sends for one change, as bytes on the stream. */
export function deltaMessageSize(change: ConfigChange, fromVersion: number, hash: string): number {
  const message = ControlPlaneMessage.encode({
    kind: {
      $case: 'delta',
      value: { fromVersion, version: fromVersion + 1, hash, changes: [changeToWire(change)] },
    },
  }).finish();
  return message.length + GRPC_MESSAGE_PREFIX;
}

/** Figure 2: one-route change on the wire, and snapshot sizes by route count. */
export async function wireFigures(
  report: Report,
  t: EntityTemplates,
  sizes: readonly number[],
  realDelta: { change: ConfigChange; version: number; hash: string },
): Promise<void> {
  const delta = deltaMessageSize(realDelta.change, realDelta.version - 1, realDelta.hash);
  report.add(
    'one-route change on the wire (Delta, 10k routes)',
    bytes(delta),
    '≤ 2 KB, whatever the total size',
    delta <= 2048,
  );
  for (const n of sizes) {
    const config = syntheticConfig(t, n);
    const encoded = await encodeSnapshotPayload(config, { maxPayload: Number.MAX_SAFE_INTEGER });
    const perEntity = encoded.payload.length / (n + 1);
    report.add(
      `snapshot, ${n.toLocaleString('en')} routes (zstd)`,
      `${bytes(encoded.payload.length)} (${perEntity.toFixed(0)} B/entity; JSON ${bytes(encoded.uncompressedSize)})`,
      '≤ 150 B per entity compressed',
      perEntity <= 150,
    );
  }
}

const SNAPSHOT_TARGET_MS: Readonly<Record<number, number>> = { 10000: 300, 50000: 1_500 };

/** Figure 3a: a whole snapshot decoded, hashed, compiled and swapped in, by route count. */
export async function snapshotApplyFigures(
  report: Report,
  t: EntityTemplates,
  sizes: readonly number[],
  runs: number,
): Promise<void> {
  const pools = new UpstreamPools();
  const applier = new ConfigApplier({ dispatchers: pools });
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-sync-bench-'));
  try {
    for (const n of sizes) {
      const encoded = await encodeSnapshotPayload(syntheticConfig(t, n), {
        maxPayload: Number.MAX_SAFE_INTEGER,
      });
      const steps = {
        decode: [] as number[],
        hash: [] as number[],
        compile: [] as number[],
        total: [] as number[],
        cpu: [] as number[],
      };
      const cacheWrites: number[] = [];
      for (let run = 0; run < runs; run++) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const config = decodeSnapshotPayload(encoded, { maxPayload: Number.MAX_SAFE_INTEGER });
        const t1 = performance.now();
        const hash = hashConfig(config);
        const t2 = performance.now();
        applier.apply({ version: run + 1, hash, config });
        const t3 = performance.now();
        const cpu = process.cpuUsage(cpu0);
        steps.cpu.push((cpu.user + cpu.system) / 1000);
        steps.decode.push(t1 - t0);
        steps.hash.push(t2 - t1);
        steps.compile.push(t3 - t2);
        steps.total.push(t3 - t0);
        // On the Ack path too: the data plane persists before it acknowledges.
        const w0 = performance.now();
        await writeCacheFile(join(dir, 'config.cache'), { version: run + 1, hash, config });
        cacheWrites.push(performance.now() - w0);
      }
      const target = SNAPSHOT_TARGET_MS[n];
      const total = median(steps.total);
      report.add(
        `snapshot apply, ${n.toLocaleString('en')} routes (median of ${runs})`,
        `${ms(total)} = decode ${ms(median(steps.decode))} + hash ${ms(median(steps.hash))} + compile ${ms(median(steps.compile))}; the process used ${ms(median(steps.cpu))} of CPU meanwhile (wall time above that is time spent waiting for a CPU)`,
        target === undefined ? '' : `≤ ${ms(target)}`,
        target === undefined ? undefined : total <= target,
      );
      report.add(
        `  then the cache file write (after the Ack, coalesced), ${n.toLocaleString('en')} routes`,
        ms(median(cacheWrites)),
        '',
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await pools.close();
  }
}

/** One route added the way a proxy worker does it (ConfigApplier.applyDelta); returns the time. */
function applyOneRoute(
  state: { config: ConfigContent; hash: string; version: number },
  t: EntityTemplates,
  i: number,
  applier: ConfigApplier,
): number {
  const route = templateRoute(t, i);
  const wire = changeToWire({ entity: 'routes', id: route.id as string, op: 'upsert', value: route });
  const changes = [changeFromWire(wire)];
  // The hash the control plane sends with the delta: computed outside the measured window.
  const expected = applyDelta(state.config, state.hash, changes);
  const t1 = performance.now();
  const applied = applier.applyDelta({
    fromVersion: state.version,
    version: state.version + 1,
    hash: expected.hash,
    changes,
  });
  const t2 = performance.now();
  if ('stale' in applied) throw new Error(applied.stale);
  state.version += 1;
  state.config = expected.config;
  state.hash = expected.hash;
  return t2 - t1;
}

/**
 * What the main process sends each proxy worker for a delta (serialization 'advanced', i.e.
 * v8's structured clone): the change set, not the config. A worker that is behind gets the
 * whole config instead (plainConfig), measured as well.
 */
function structuredCloneMs(config: ConfigContent, change: ConfigChange): { delta: number; whole: number } {
  const time = (message: unknown) => {
    const runs: number[] = [];
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      deserialize(serialize(message));
      runs.push(performance.now() - t0);
    }
    return median(runs);
  };
  return {
    delta: time({ type: 'apply-delta', seq: 1, fromVersion: 1, version: 2, hash: '', changes: [change] }),
    whole: time({ type: 'apply', seq: 1, config: { version: 1, hash: '', config: plainConfig(config) } }),
  };
}

/** Figure 3b: one-route delta apply (applyDelta + compile + swap) on a config of each size. */
export async function deltaApplyFigures(
  report: Report,
  t: EntityTemplates,
  sizes: readonly number[],
  runs: number,
  budget: Budget,
): Promise<void> {
  const pools = new UpstreamPools();
  const applier = new ConfigApplier({ dispatchers: pools });
  try {
    for (const n of sizes) {
      const config = syntheticConfig(t, n);
      const state = { config, hash: hashConfig(config), version: 1 };
      applier.apply(state);
      const samples: number[] = [];
      for (let run = 0; run < runs && !budget.exhausted(); run++) {
        samples.push(applyOneRoute(state, t, n + run, applier));
      }
      const total = distribution(samples);
      const sample = templateRoute(t, 0);
      const clone = structuredCloneMs(state.config, {
        entity: 'routes',
        id: sample.id as string,
        op: 'upsert',
        value: sample,
      });
      report.add(
        `one-route delta apply, ${n.toLocaleString('en')} routes`,
        `${describe(total)} (applyDelta + decoder + patch + swap, as a proxy worker runs them)`,
        n === 50_000 ? 'p99 ≤ 5 ms' : '',
        n === 50_000 ? total.p99 <= 5 : undefined,
      );
      report.add(
        `  plus, per proxy worker over IPC, ${n.toLocaleString('en')} routes`,
        `delta ${ms(clone.delta)}; whole config (a worker that is behind) ${ms(clone.whole)} (structured clone, median of 3)`,
        '',
      );
    }
  } finally {
    await pools.close();
  }
}

/**
 * The longest gap between the ticks of a 1 ms interval timer, minus the interval: how long the
 * event loop could not run anything (a request included). A timer of our own rather than
 * monitorEventLoopDelay, whose reset() drops the first sample after it — the one that holds a
 * stall right after the reset.
 */
class StallMeter {
  #last = performance.now();
  #max = 0;
  readonly #timer = setInterval(() => {
    const now = performance.now();
    this.#max = Math.max(this.#max, now - this.#last - 1);
    this.#last = now;
  }, 1);

  /** The longest stall since the previous call. */
  take(): number {
    const max = Math.max(this.#max, performance.now() - this.#last - 1);
    this.#max = 0;
    return max;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** The longest GC pause in a window, and its kind (minor = scavenge, major = mark-compact). */
class GcMeter {
  #max = 0;
  #kind = '';
  readonly #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration <= this.#max) continue;
      this.#max = entry.duration;
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      this.#kind =
        kind === constants.NODE_PERFORMANCE_GC_MINOR
          ? 'scavenge'
          : kind === constants.NODE_PERFORMANCE_GC_MAJOR
            ? 'mark-compact'
            : 'incremental';
    }
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** The longest pause since the previous call (PerformanceObserver reports it a turn late). */
  take(): { ms: number; kind: string } {
    const taken = { ms: this.#max, kind: this.#kind };
    this.#max = 0;
    this.#kind = '';
    return taken;
  }

  stop(): void {
    this.#observer.disconnect();
  }
}

/** What one window of the figure saw. */
interface StallWindow {
  readonly stall: number;
  readonly slowest: number;
  readonly gc: { ms: number; kind: string };
}

function describeWindows(windows: readonly StallWindow[]): string {
  const stall = Math.max(...windows.map((w) => w.stall));
  const slowest = Math.max(...windows.map((w) => w.slowest));
  const gc = windows.reduce((a, w) => (w.gc.ms > a.ms ? w.gc : a), { ms: 0, kind: '' });
  const gcText = gc.ms === 0 ? 'no GC pause' : `longest GC pause ${ms(gc.ms)} (${gc.kind})`;
  return `stall ${ms(stall)} (median of windows ${ms(median(windows.map((w) => w.stall)))}), slowest request ${ms(slowest)}, ${gcText}`;
}

/**
 * Figure 3c: the longest event-loop stall while a proxy in this process serves a steady stream
 * of requests and one-route deltas are applied, next to as many windows without a delta,
 * interleaved with them (the same load, the same moments of the run). A window's stall includes
 * the GC pauses that fall in it: the load's own scavenges come every few hundred ms whether or
 * not a delta is applied, so the no-delta windows say how much of the stall is the delta's.
 * The delta's own turn (applyDelta + decoder + patch + swap) is reported on its own.
 */
export async function stallFigure(
  report: Report,
  t: EntityTemplates,
  routes: number,
  deltas: number,
): Promise<void> {
  // Reused connections, as under real load (the default 1 s keep-alive makes undici reconnect
  // for every request), and no record of every request the load sends.
  await using upstream = await startEchoUpstream('stall', { keepAliveTimeoutMs: 60_000, record: false });
  const service: Record<string, unknown> = {
    ...t.service,
    protocol: 'http',
    host: '127.0.0.1',
    port: upstream.port,
    path: null,
  };
  const templates = { service, route: { ...t.route, service: { id: service.id } } };
  const config = syntheticConfig(templates, routes);
  const state = { config, hash: hashConfig(config), version: 1 };
  const pools = new UpstreamPools();
  const applier = new ConfigApplier({ dispatchers: pools });
  applier.apply(state);
  const proxy = await startProxy({
    listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
    holder: applier.runtime,
    log: createLogger({ level: 'silent' }),
  });
  const paths = [...(config.get('routes')?.values() ?? [])]
    .slice(0, 100)
    .map((r) => (r as { paths: string[] }).paths[0]);
  let serving = true;
  let served = 0;
  /** The slowest request since the last read, as the clients saw it. */
  let slowest = 0;
  const takeSlowest = () => {
    const value = slowest;
    slowest = 0;
    return value;
  };
  const clients = Array.from({ length: 4 }, () => new Client(`http://127.0.0.1:${proxy.ports[0]}`));
  const loops = clients.map(async (client, k) => {
    for (let i = k; serving; i++) {
      const t0 = performance.now();
      const { body } = await client.request({ method: 'GET', path: `${paths[i % paths.length]}/x` });
      await body.dump();
      slowest = Math.max(slowest, performance.now() - t0);
      served++;
    }
  });
  const meter = new StallMeter();
  const gc = new GcMeter();
  try {
    await sleep(300); // warm the connections and the router's match cache
    const windowMs = 200;
    const window = async (during?: () => void): Promise<StallWindow> => {
      meter.take();
      takeSlowest();
      gc.take();
      during?.();
      await sleep(windowMs);
      await sleep(0); // the GC observer's entries arrive a turn late
      return { stall: meter.take(), slowest: takeSlowest(), gc: gc.take() };
    };
    const quiet: StallWindow[] = [];
    const withDelta: StallWindow[] = [];
    const applies: number[] = [];
    for (let d = 0; d < deltas; d++) {
      quiet.push(await window());
      withDelta.push(await window(() => applies.push(applyOneRoute(state, templates, routes + d, applier))));
    }
    const worst = Math.max(...withDelta.map((w) => w.stall));
    const label = routes.toLocaleString('en');
    report.add(
      `event-loop stall during a one-route delta, ${label} routes`,
      `max ${ms(worst)} over ${deltas} deltas: ${describeWindows(withDelta)}; ` +
        `as many windows without a delta, interleaved: ${describeWindows(quiet)}; ${served} requests`,
      'no request stalled > 1 ms',
      worst <= 1,
    );
    const turn = Math.max(...applies);
    report.add(
      `  of which the delta's own turn (apply + swap), ${label} routes`,
      `max ${ms(turn)}, median ${ms(median(applies))} over ${deltas} deltas (the rest of the stall is the load's GC, in the windows without a delta too)`,
      '≤ 1 ms',
      turn <= 1,
    );
  } finally {
    meter.stop();
    gc.stop();
    serving = false;
    await Promise.allSettled(loops);
    await Promise.all(clients.map((c) => c.close()));
    await proxy.stop('now', Date.now());
    await pools.close();
  }
}
