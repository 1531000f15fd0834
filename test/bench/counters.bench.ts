/**
 * The cost of rate-limiting's node-wide counters (issue 15: a node counts once, whichever of its
 * workers serves), measured where it is spent rather than through the proxy's noise:
 * - one worker: the store is in the worker (`LocalNodeCounters.take`, synchronous);
 * - several workers: the store is the main process's, reached over the workers' IPC channel
 *   (advanced serialization, as node:cluster's): `IpcNodeCounters` in this process, the store
 *   in a forked child (counters-host.ts). Measured one take at a time (each request waits a whole
 *   round trip: the latency a request gains) and 64 takes per event-loop turn (a loaded worker:
 *   one message carries the turn's takes, the CPU cost per request).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { IpcNodeCounters, isPrimaryMessage, type WorkerMessage } from '@turnpike/data-plane/workers';
import { LocalNodeCounters } from '@turnpike/plugin-sdk';
import { fixed, type Report } from './report.ts';

export interface CountersPlan {
  readonly localTakes: number;
  readonly sequentialTakes: number;
  readonly batchedTurns: number;
}

export const FULL_COUNTERS: CountersPlan = {
  localTakes: 2_000_000,
  sequentialTakes: 20_000,
  batchedTurns: 2_000,
};
export const QUICK_COUNTERS: CountersPlan = {
  localTakes: 300_000,
  sequentialTakes: 3_000,
  batchedTurns: 300,
};

const BATCH = 64;
const HOST = fileURLToPath(new URL('./counters-host.ts', import.meta.url));

/** A minute window (the limit never reached) and five unused slots, as rate-limiting sends them. */
function windowsOf(now: number): Float64Array {
  const w = new Float64Array(18).fill(Number.NaN);
  const start = now - (now % 60_000);
  w[3] = start;
  w[4] = start + 60_000;
  w[5] = 1e9;
  return w;
}

export async function countersRows(report: Report, plan: CountersPlan): Promise<void> {
  const windows = windowsOf(Date.now());
  const keys = Array.from({ length: 1000 }, (_, i) => `route\u0000service\u0000consumer-${i}`);

  const local = new LocalNodeCounters();
  for (let i = 0; i < 10_000; i++) local.take(keys[i % keys.length]!, windows);
  let t0 = performance.now();
  for (let i = 0; i < plan.localTakes; i++) local.take(keys[i % keys.length]!, windows);
  const localNs = ((performance.now() - t0) * 1e6) / plan.localTakes;

  const child = fork(HOST, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await once(child, 'message');
    const ipc = new IpcNodeCounters((message: WorkerMessage) => child.send(message));
    child.on('message', (message: unknown) => {
      if (isPrimaryMessage(message) && message.type === 'counters-taken') ipc.settle(message);
    });
    for (let i = 0; i < 500; i++) await ipc.take(keys[i % keys.length]!, windows);
    t0 = performance.now();
    for (let i = 0; i < plan.sequentialTakes; i++) await ipc.take(keys[i % keys.length]!, windows);
    const roundTripUs = ((performance.now() - t0) * 1e3) / plan.sequentialTakes;

    const turn = new Array<Promise<unknown>>(BATCH);
    t0 = performance.now();
    for (let t = 0; t < plan.batchedTurns; t++) {
      for (let i = 0; i < BATCH; i++) turn[i] = ipc.take(keys[(t * BATCH + i) % keys.length]!, windows);
      await Promise.all(turn);
    }
    const batchedUs = ((performance.now() - t0) * 1e3) / (plan.batchedTurns * BATCH);

    report.add('rate-limiting counter, 1 worker (in the worker)', `${fixed(localNs, 0)} ns per take`, '');
    report.add(
      'rate-limiting counter, several workers (main process, over IPC): a lone request',
      `${fixed(roundTripUs, 1)} µs per take (one round trip; the request waits it, both processes busy for it)`,
      '',
    );
    report.add(
      `rate-limiting counter, several workers: ${BATCH} requests in one event-loop turn`,
      `${fixed(batchedUs, 2)} µs per take (one message each way per turn)`,
      '',
    );
    report.note(
      'counters: in-process figures (counters.bench.ts), not through the proxy; the IPC is node:child_process with advanced serialization, as between node:cluster workers and their main process',
    );
  } finally {
    child.disconnect();
    if (child.exitCode === null) await once(child, 'exit');
  }
}
