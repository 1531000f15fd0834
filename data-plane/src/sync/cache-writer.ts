import type { Logger } from '@turnpike/shared';
import type { VersionedConfig } from '@turnpike/shared/sync';
import { writeCacheFile } from './cache-file.ts';

export interface CacheWriterOptions {
  readonly path: string;
  readonly log: Logger;
  /** The shortest time between the starts of two writes; a burst of versions costs one write. */
  readonly intervalMs?: number;
  /** Told after each write that reached the disk (tests, events). */
  readonly onWritten?: (version: number) => void;
  /** The write itself; default writeCacheFile. */
  readonly write?: (path: string, config: VersionedConfig) => Promise<void>;
}

export const DEFAULT_CACHE_WRITE_INTERVAL_MS = 1_000;

/**
 * The next write waits at least this many times as long as the last one took: a whole-config
 * write costs ~200 ms of CPU at 10,000 routes, so under a steady stream of Admin API writes a
 * data plane spends at most ~1/(1 + COST_FACTOR) of its time re-writing its cache file (twenty
 * data planes on two cores would otherwise spend all of it).
 */
export const CACHE_WRITE_COST_FACTOR = 20;

/**
 * Persists the newest applied configuration off the Ack's path. `schedule` only remembers the
 * version; the write happens later, at most once per interval, always for the newest version
 * scheduled, and always eventually; `flush` (on stop) writes what is pending at once. The
 * interval stretches with the cost of a write (CACHE_WRITE_COST_FACTOR × the last one's time),
 * so a large configuration under constant change is written every few seconds, not every second.
 *
 * The trade: a crash between an Ack and the next write leaves an older (but whole, hash-checked)
 * cache file. A restart with the control plane up then gets a delta or a snapshot from that
 * older version; with the control plane down it serves the older version until it comes back.
 */
export class CacheWriter {
  readonly #options: CacheWriterOptions;
  readonly #intervalMs: number;
  #pending: VersionedConfig | undefined;
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;
  /** How long the last write took, start to end. */
  #lastCost = 0;
  #written = -1;

  constructor(options: CacheWriterOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? DEFAULT_CACHE_WRITE_INTERVAL_MS;
  }

  /** The version last written to disk by this writer; -1 before the first. */
  get writtenVersion(): number {
    return this.#written;
  }

  /** Remembers `config` as the one to write; never blocks and never throws. */
  schedule(config: VersionedConfig): void {
    this.#pending = config;
    this.#arm();
  }

  /** Writes what is pending now and waits for every write started so far. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing !== undefined || this.#pending !== undefined) {
      if (this.#writing !== undefined) await this.#writing;
      else this.#start();
    }
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#writing !== undefined || this.#pending === undefined) return;
    const gap = Math.max(this.#intervalMs, CACHE_WRITE_COST_FACTOR * this.#lastCost);
    const wait = Math.max(0, this.#lastStart + gap - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, wait);
    this.#timer.unref();
  }

  #start(): void {
    const config = this.#pending;
    if (config === undefined || this.#writing !== undefined) return;
    this.#pending = undefined;
    this.#lastStart = performance.now();
    const write = this.#options.write ?? writeCacheFile;
    this.#writing = write(this.#options.path, config).then(
      () => {
        this.#written = config.version;
        this.#options.onWritten?.(config.version);
      },
      (error: unknown) => {
        // Serving matters more than caching: the next version scheduled tries again.
        this.#options.log.error(
          { err: error, path: this.#options.path, version: config.version },
          'could not write the config cache file',
        );
      },
    );
    void this.#writing.finally(() => {
      this.#writing = undefined;
      this.#lastCost = performance.now() - this.#lastStart;
      this.#arm();
    });
  }
}
