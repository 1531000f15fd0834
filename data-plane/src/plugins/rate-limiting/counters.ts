/**
 * The `local` policy's counters: in the memory of this process, as Kong's local policy counts in
 * its node's shared dict. Each proxy worker process keeps its own counters, so with N workers a
 * client may get up to N times the limit (Kong's local policy likewise counts per node).
 *
 * One entry per (scope, identifier) holds every period's window start and count, so a request
 * costs one key string and, once the entry exists, no other allocation. Memory stays bounded:
 * entries are dropped once every window they count has ended, and the oldest entry is evicted
 * when the store is full (as the shared dict evicts under memory pressure).
 */
import { ORDERED_PERIODS } from './schema.ts';
import { windowEnd, windowStart } from './windows.ts';

export const PERIOD_COUNT = ORDERED_PERIODS.length;

/** Counts of one identifier, indexed as ORDERED_PERIODS. */
export interface CounterEntry {
  readonly starts: Float64Array;
  readonly counts: Float64Array;
  /** When every counted window has ended (ms): the entry can go. */
  expiresAt: number;
}

export interface LocalCountersOptions {
  /** Most identifiers tracked at once (default 100 000). */
  readonly maxEntries?: number;
}

const SWEEP_EVERY_MS = 1000;

export class LocalCounters {
  readonly #entries = new Map<string, CounterEntry>();
  readonly #maxEntries: number;
  #nextSweep = 0;

  constructor(options: LocalCountersOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The entry of `key` with the windows of the periods `limits` sets (NaN = unset) moved to the
   * ones containing `nowMs`, a window that moved starting from 0.
   */
  entry(key: string, limits: Float64Array, nowMs: number): CounterEntry {
    if (nowMs >= this.#nextSweep) this.#sweep(nowMs);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= this.#maxEntries) this.#evictOldest();
      entry = {
        starts: new Float64Array(PERIOD_COUNT).fill(Number.NaN),
        counts: new Float64Array(PERIOD_COUNT),
        expiresAt: 0,
      };
      this.#entries.set(key, entry);
    }
    for (let i = 0; i < PERIOD_COUNT; i++) {
      if (Number.isNaN(limits[i]!)) continue;
      const start = windowStart(ORDERED_PERIODS[i]!, nowMs);
      if (entry.starts[i] !== start) {
        entry.starts[i] = start;
        entry.counts[i] = 0;
        const end = windowEnd(ORDERED_PERIODS[i]!, start);
        if (end > entry.expiresAt) entry.expiresAt = end;
      }
    }
    return entry;
  }

  /** Counts one request in every window `limits` sets (call after `entry` for the same time). */
  increment(entry: CounterEntry, limits: Float64Array): void {
    for (let i = 0; i < PERIOD_COUNT; i++)
      if (!Number.isNaN(limits[i]!)) entry.counts[i] = entry.counts[i]! + 1;
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
