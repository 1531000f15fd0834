/**
 * The node-wide counters (the plugin SDK's `nodeCounters()`) when a node runs several proxy
 * workers: the main process owns the one store (`LocalNodeCounters`), and each worker's
 * `IpcNodeCounters` sends it the takes of one event-loop turn as one message
 * (`counters-take`), answered by one `counters-taken`. A take costs a worker one copy of its
 * key and windows and one round trip per batch, shared by every request of that turn; the main
 * process answers a batch in one loop over its store, so the take stays atomic for the node.
 */
import {
  type CounterTake,
  type CounterWindows,
  LocalNodeCounters,
  type NodeCounters,
} from '@turnpike/plugin-sdk';
import { WorkerError } from './errors.ts';
import type { PrimaryMessage, WorkerMessage } from './protocol.ts';

type TakeMessage = Extract<WorkerMessage, { type: 'counters-take' }>;
type TakenMessage = Extract<PrimaryMessage, { type: 'counters-taken' }>;

interface Waiter {
  resolve(take: CounterTake): void;
  reject(error: Error): void;
}

interface Batch {
  readonly keys: string[];
  readonly sizes: number[];
  readonly windows: number[];
  readonly waiters: Waiter[];
}

function emptyBatch(): Batch {
  return { keys: [], sizes: [], windows: [], waiters: [] };
}

/** A proxy worker's side: takes are queued and sent once per event-loop turn (setImmediate). */
export class IpcNodeCounters implements NodeCounters {
  readonly #send: (message: WorkerMessage) => void;
  readonly #inFlight = new Map<number, Waiter[]>();
  #batch: Batch = emptyBatch();
  #scheduled = false;
  #seq = 0;
  #closed: Error | undefined;

  constructor(send: (message: WorkerMessage) => void) {
    this.#send = send;
  }

  take(key: string, windows: CounterWindows): Promise<CounterTake> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const batch = this.#batch;
    batch.keys.push(key);
    batch.sizes.push(Math.floor(windows.length / 3));
    for (let i = 0; i < windows.length; i++) batch.windows.push(windows[i]!);
    const { promise, resolve, reject } = Promise.withResolvers<CounterTake>();
    batch.waiters.push({ resolve, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
    return promise;
  }

  /** The main process's answer to one batch. */
  settle(message: TakenMessage): void {
    const waiters = this.#inFlight.get(message.seq);
    if (waiters === undefined) return;
    this.#inFlight.delete(message.seq);
    let offset = 0;
    for (let i = 0; i < waiters.length; i++) {
      const slots = message.sizes[i]!;
      waiters[i]!.resolve({
        counts: message.counts.subarray(offset, offset + slots),
        refused: message.refused[i]!,
      });
      offset += slots;
    }
  }

  /** The main process is gone: every pending and later take is rejected with `reason`. */
  close(reason: string): void {
    this.#closed = new WorkerError(`the node's counters cannot be reached: ${reason}`);
    for (const waiters of this.#inFlight.values()) for (const w of waiters) w.reject(this.#closed);
    this.#inFlight.clear();
    for (const w of this.#batch.waiters) w.reject(this.#closed);
    this.#batch = emptyBatch();
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const batch = this.#batch;
    if (batch.waiters.length === 0) return;
    this.#batch = emptyBatch();
    const seq = ++this.#seq;
    this.#inFlight.set(seq, batch.waiters);
    this.#send({
      type: 'counters-take',
      seq,
      keys: batch.keys,
      sizes: Uint8Array.from(batch.sizes),
      windows: Float64Array.from(batch.windows),
    });
  };
}

/** The main process's side: the node's one store, answering a worker's batch in order. */
export class SharedCounterStore {
  readonly store = new LocalNodeCounters();

  answer(message: TakeMessage): TakenMessage {
    const { keys, sizes, windows } = message;
    let total = 0;
    for (let i = 0; i < keys.length; i++) total += sizes[i]!;
    const counts = new Float64Array(total);
    const refused = new Int8Array(keys.length);
    let offset = 0;
    for (let i = 0; i < keys.length; i++) {
      const slots = sizes[i]!;
      const taken = this.store.take(keys[i]!, windows.subarray(offset * 3, (offset + slots) * 3));
      counts.set(taken.counts, offset);
      refused[i] = taken.refused;
      offset += slots;
    }
    return { type: 'counters-taken', seq: message.seq, sizes, counts, refused };
  }
}
