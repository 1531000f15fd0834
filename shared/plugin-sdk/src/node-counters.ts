/**
 * Node-wide fixed-window counters: what Kong's shared dict is to its rate-limiting `local`
 * policy, one store for every proxy worker of the node. `nodeCounters()` is the store a plugin
 * counts in. With one proxy worker it is this process's own (`LocalNodeCounters`, synchronous);
 * with several, the engine installs one that asks the node's main process, which owns the one
 * store (a Promise then: answers come back batched over the workers' IPC channel).
 *
 * A take is atomic for the node: if no window's limit is reached, one is counted in every window;
 * otherwise nothing is counted. So exactly `limit` requests pass, whichever workers serve them.
 */

import { nodeSlot } from './node-slot.ts';

/**
 * The windows of one take, three numbers each: start (ms since the epoch), end (ms, exclusive)
 * and limit; a NaN limit leaves that slot out. A key keeps its slots (the same index is the same
 * window kind from one take to the next).
 */
export type CounterWindows = Float64Array;

export interface CounterTake {
  /** Each slot's count before this take (NaN for a slot left out). */
  readonly counts: Float64Array;
  /** The last slot whose limit was already reached (nothing was counted then), or -1 (one was counted in each). */
  readonly refused: number;
}

export interface NodeCounters {
  /**
   * Counts one in every window of `key` unless one is full. `windows` is read before this
   * returns (a caller may reuse its array). A synchronous store answers at once; the shared one
   * returns a Promise, rejected when the node's store cannot be reached.
   */
  take(key: string, windows: CounterWindows): CounterTake | Promise<CounterTake>;
}

interface Entry {
  readonly starts: Float64Array;
  readonly counts: Float64Array;
  /** When every counted window has ended (ms): the entry can go. */
  expiresAt: number;
}

export interface LocalNodeCountersOptions {
  /** Most keys tracked at once (default 100 000); the oldest goes first, as the shared dict evicts. */
  readonly maxEntries?: number;
}

const SWEEP_EVERY_MS = 1000;

/**
 * The store in this process's memory. One entry per key holds every slot's window start and
 * count, so a take allocates nothing once the key exists. Memory stays bounded: entries go once
 * every window they count has ended, and the oldest entry is evicted when the store is full.
 * A window only moves forward: a take that names an earlier start than the entry holds (a worker
 * whose clock read a millisecond before another's, at a boundary) counts in the newer window.
 */
export class LocalNodeCounters implements NodeCounters {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  #nextSweep = 0;
  /** The answer of the last take, reused: a synchronous caller reads it before the next take. */
  #answer: { counts: Float64Array; refused: number } = { counts: new Float64Array(0), refused: -1 };

  constructor(options: LocalNodeCountersOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#entries.size;
  }

  take(key: string, windows: CounterWindows): CounterTake {
    const slots = Math.floor(windows.length / 3);
    // The store reads no clock: the latest window start named is "now" for the sweep (no later
    // than now, so an entry is never dropped early; a late drop only holds memory a little longer).
    let latest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < slots; i++)
      if (!Number.isNaN(windows[i * 3 + 2]!) && windows[i * 3]! > latest) latest = windows[i * 3]!;
    if (latest >= this.#nextSweep) this.#sweep(latest);
    let entry = this.#entries.get(key);
    if (entry === undefined || entry.counts.length !== slots) {
      if (entry === undefined && this.#entries.size >= this.#maxEntries) this.#evictOldest();
      entry = {
        starts: new Float64Array(slots).fill(Number.NaN),
        counts: new Float64Array(slots),
        expiresAt: 0,
      };
      this.#entries.set(key, entry);
    }
    const answer = this.#answer;
    if (answer.counts.length !== slots) answer.counts = new Float64Array(slots);
    const counts = answer.counts;
    let refused = -1;
    for (let i = 0; i < slots; i++) {
      const limit = windows[i * 3 + 2]!;
      if (Number.isNaN(limit)) {
        counts[i] = Number.NaN;
        continue;
      }
      const start = windows[i * 3]!;
      // `!(start <= held)` is also true when nothing is held yet (NaN).
      if (!(start <= entry.starts[i]!)) {
        entry.starts[i] = start;
        entry.counts[i] = 0;
        const end = windows[i * 3 + 1]!;
        if (end > entry.expiresAt) entry.expiresAt = end;
      }
      counts[i] = entry.counts[i]!;
      if (counts[i]! >= limit) refused = i;
    }
    if (refused === -1) {
      for (let i = 0; i < slots; i++)
        if (!Number.isNaN(windows[i * 3 + 2]!)) entry.counts[i] = entry.counts[i]! + 1;
    }
    answer.refused = refused;
    return answer;
  }

  #sweep(nowMs: number): void {
    this.#nextSweep = nowMs + SWEEP_EVERY_MS;
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= nowMs) this.#entries.delete(key);
  }

  #evictOldest(): void {
    for (const key of this.#entries.keys()) {
      this.#entries.delete(key);
      return;
    }
  }
}

/** Shared by every copy of the SDK in the process (a custom plugin may bring its own). */
const SLOT = nodeSlot<NodeCounters>('node-counters');

/** The node-wide store plugins count in (this process's own until the engine installs another). */
export function nodeCounters(): NodeCounters {
  let counters = SLOT.get();
  if (counters === undefined) {
    counters = new LocalNodeCounters();
    SLOT.set(counters);
  }
  return counters;
}

/** For the engine: makes `counters` the node-wide store, before the plugins' first request. */
export function installNodeCounters(counters: NodeCounters): void {
  SLOT.set(counters);
}
