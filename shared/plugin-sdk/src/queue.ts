/**
 * Kong 3.10's plugin queue (kong/tools/queue.lua), per worker: entries are batched
 * up to `max_batch_size`, a batch waits at most `max_coalescing_delay` seconds for more, and is
 * handed to `send`; a failed send is retried after `initial_retry_delay`, doubled up to
 * `max_retry_delay`, until `max_retry_time` seconds have passed since the first try, then dropped
 * with an error. The queue is bounded: at `max_entries` (or `max_bytes`) the oldest entries are
 * dropped (counted in `dropped`, warned once until the queue drains). With `concurrency_limit = -1`
 * each entry is sent at once, on its own, without waiting for the others (Kong's unlimited
 * concurrency). Nothing here is awaited by a request. Shared by the log plugins (http-log,
 * statsd) and open to custom ones.
 *
 * An entry is a string, or (as Kong's queue takes Lua tables) any value the `send` function
 * encodes itself: a plugin can queue its record and encode it only when a batch goes out, so an
 * entry a full queue drops was never encoded. With `max_bytes` set, entries must be strings
 * (their size is what is bounded), as in Kong.
 */
import type { Logger } from './log.ts';

export interface QueueConfig {
  readonly max_batch_size: number;
  readonly max_coalescing_delay: number;
  readonly max_entries: number;
  readonly max_bytes: number | null;
  readonly max_retry_time: number;
  readonly initial_retry_delay: number;
  readonly max_retry_delay: number;
  readonly concurrency_limit: number;
}

/** Sends one batch; resolves when delivered, rejects when not (the batch is retried). */
export type SendBatch<E = string> = (entries: readonly E[]) => Promise<void>;

const CAPACITY_WARNING_THRESHOLD = 0.8;

export class LogQueue<E = string> {
  readonly #config: QueueConfig;
  readonly #send: SendBatch<E>;
  readonly #log: Logger;
  readonly #name: string;
  #entries: E[] = [];
  #bytes = 0;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #warned = false;
  #droppedWarned = false;
  #closed = false;
  /** Entries dropped because the queue was full (or a batch ran out of retries). */
  dropped = 0;
  /** Batches delivered. */
  sent = 0;
  /** Sends in flight (concurrency_limit = -1). */
  #inFlight = 0;

  readonly #onDrop: ((count: number) => void) | undefined;

  constructor(
    name: string,
    config: QueueConfig,
    send: SendBatch<E>,
    log: Logger,
    onDrop?: (count: number) => void,
  ) {
    this.#onDrop = onDrop;
    this.#name = name;
    this.#config = config;
    this.#send = send;
    this.#log = log;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Nothing queued, nothing being sent: closing it loses nothing. */
  get idle(): boolean {
    return this.#entries.length === 0 && !this.#running && this.#inFlight === 0;
  }

  /** Adds one entry; false (logged) when it cannot be queued at all. Never throws, never blocks. */
  enqueue(entry: E): boolean {
    if (this.#closed) return false;
    const config = this.#config;
    if (config.concurrency_limit === -1) {
      // Each entry on its own, at once; bounded by max_entries in flight.
      if (this.#inFlight >= config.max_entries) {
        this.#drop(1, 'queue full, dropping entry');
        return false;
      }
      this.#inFlight++;
      void this.#deliver([entry]).finally(() => {
        this.#inFlight--;
      });
      return true;
    }
    const entries = this.#entries;
    if (entries.length >= config.max_entries * CAPACITY_WARNING_THRESHOLD) {
      if (!this.#warned) {
        this.#log.warn({ queue: this.#name }, `queue at ${CAPACITY_WARNING_THRESHOLD * 100}% capacity`);
        this.#warned = true;
      }
    } else this.#warned = false;
    const maxBytes = config.max_bytes;
    let size = 0;
    if (maxBytes !== null) {
      if (typeof entry !== 'string') {
        this.#log.error({ queue: this.#name }, 'only strings can be queued when max_bytes is set');
        return false;
      }
      size = Buffer.byteLength(entry);
      if (size > maxBytes) {
        this.#log.error(
          { queue: this.#name },
          `string to be queued is longer (${size} bytes) than the queue's max_bytes (${maxBytes} bytes)`,
        );
        return false;
      }
    }
    if (entries.length >= config.max_entries) {
      const oldest = entries.shift();
      if (maxBytes !== null) this.#bytes -= Buffer.byteLength(oldest as string);
      this.#drop(1, 'queue full, dropping old entries until processing is successful again');
    }
    if (maxBytes !== null) {
      let dropped = 0;
      while (this.#bytes + size > maxBytes && entries.length > 0) {
        this.#bytes -= Buffer.byteLength(entries.shift() as string);
        dropped++;
      }
      if (dropped > 0) this.#drop(dropped, `byte capacity exceeded, ${dropped} queue entries were dropped`);
      this.#bytes += size;
    }
    entries.push(entry);
    if (!this.#running) {
      this.#running = true;
      void this.#run();
    } else if (entries.length >= config.max_batch_size) this.#wake?.();
    return true;
  }

  /** Stops: pending entries are dropped, no more are taken. */
  close(): void {
    this.#closed = true;
    this.#entries = [];
    this.#bytes = 0;
    this.#wake?.();
  }

  #drop(count: number, message: string): void {
    this.dropped += count;
    this.#onDrop?.(count);
    if (!this.#droppedWarned) {
      this.#log.warn({ queue: this.#name, dropped: this.dropped }, message);
      this.#droppedWarned = true;
    }
  }

  async #run(): Promise<void> {
    const config = this.#config;
    try {
      while (!this.#closed && this.#entries.length > 0) {
        if (this.#entries.length < config.max_batch_size && config.max_coalescing_delay > 0) {
          await this.#sleep(config.max_coalescing_delay * 1000, true);
        }
        const batch = this.#entries.splice(0, config.max_batch_size);
        if (config.max_bytes !== null) for (const e of batch) this.#bytes -= Buffer.byteLength(e as string);
        if (batch.length === 0) break;
        await this.#deliver(batch);
        if (this.#entries.length === 0) this.#droppedWarned = false;
      }
    } finally {
      this.#running = false;
      if (!this.#closed && this.#entries.length > 0) {
        this.#running = true;
        void this.#run();
      }
    }
  }

  /** One batch, retried with backoff until max_retry_time; dropped with an error after. */
  async #deliver(batch: readonly E[]): Promise<void> {
    const config = this.#config;
    const started = performance.now();
    let delay = config.initial_retry_delay;
    for (;;) {
      try {
        await this.#send(batch);
        this.sent++;
        return;
      } catch (err) {
        const elapsed = (performance.now() - started) / 1000;
        if (this.#closed || config.max_retry_time < 0 || elapsed + delay > config.max_retry_time) {
          this.dropped += batch.length;
          this.#onDrop?.(batch.length);
          this.#log.error(
            { queue: this.#name, err, entries: batch.length },
            `could not send entries after ${Math.round(elapsed * 1000) / 1000} seconds, dropping them`,
          );
          return;
        }
        this.#log.warn(
          { queue: this.#name, err },
          `handler could not process entries, retrying in ${delay}s`,
        );
        await this.#sleep(delay * 1000, false);
        delay = Math.min(delay * 2, config.max_retry_delay);
      }
    }
  }

  /** Waits `ms`; a coalescing wait also ends as soon as a full batch is queued. */
  #sleep(ms: number, wakeOnBatch: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#wake = undefined;
        resolve();
      };
      this.#timer = setTimeout(done, ms);
      this.#timer.unref?.();
      if (wakeOnBatch) this.#wake = done;
    });
  }
}

/** The deprecated flat queue fields a log plugin's config may still carry (Kong 3.x). */
export interface LegacyQueueFields {
  readonly queue: unknown;
  readonly retry_count?: number | null | undefined;
  readonly queue_size?: number | null | undefined;
  readonly flush_timeout?: number | null | undefined;
  /** opentelemetry's (old default 200): queue.max_batch_size. */
  readonly batch_span_count?: number | null | undefined;
  /** opentelemetry's (old default 3): queue.max_coalescing_delay. */
  readonly batch_flush_delay?: number | null | undefined;
}

/**
 * Kong's Queue.get_plugin_params (kong/tools/queue.lua): the legacy fields override queue.* when
 * set to a non-default value, each with Kong's warning (`retry_count` only warns: it no longer works).
 */
export function pluginQueueParams(config: LegacyQueueFields): { queue: QueueConfig; warnings: string[] } {
  const given = config.queue as QueueConfig & { max_bytes?: number | null };
  const queue: { -readonly [K in keyof QueueConfig]: QueueConfig[K] } = {
    ...given,
    max_bytes: given.max_bytes ?? null,
  };
  const warnings: string[] = [];
  if (config.retry_count != null && config.retry_count !== 10) {
    warnings.push(
      'the retry_count parameter no longer works, please update your configuration to use initial_retry_delay and max_retry_time instead',
    );
  }
  if (config.queue_size != null && config.queue_size !== 1) {
    queue.max_batch_size = config.queue_size;
    warnings.push(
      'the queue_size parameter is deprecated, please update your configuration to use queue.max_batch_size instead',
    );
  }
  if (config.flush_timeout != null && config.flush_timeout !== 2) {
    queue.max_coalescing_delay = config.flush_timeout;
    warnings.push(
      'the flush_timeout parameter is deprecated, please update your configuration to use queue.max_coalescing_delay instead',
    );
  }
  if (config.batch_span_count != null && config.batch_span_count !== 200) {
    queue.max_batch_size = config.batch_span_count;
    warnings.push(
      'opentelemetry: config.batch_span_count is deprecated, please use config.queue.max_batch_size instead',
    );
  }
  if (config.batch_flush_delay != null && config.batch_flush_delay !== 3) {
    queue.max_coalescing_delay = config.batch_flush_delay;
    warnings.push(
      'opentelemetry: config.batch_flush_delay is deprecated, please use config.queue.max_coalescing_delay instead',
    );
  }
  return { queue, warnings };
}

/**
 * A plugin's queues, one per name (Kong's queue names: instances configured alike share one),
 * reclaimed once idle: a queue nothing was enqueued to for `idleMs` and that holds nothing is
 * closed and forgotten, so instances that were removed or reconfigured leave nothing behind. One
 * still in use is made again on its next entry (cheap: an empty queue).
 */
export class LogQueues<
  // biome-ignore lint/suspicious/noExplicitAny: a queue of any entry type
  Q extends { readonly queue: LogQueue<any>; close?(): void } = { readonly queue: LogQueue },
> {
  readonly #idleMs: number;
  readonly #queues = new Map<string, { value: Q; usedAt: number }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(idleMs = 60_000) {
    this.#idleMs = idleMs;
  }

  /** The queue named `name`, made by `create` when there is none. */
  get(name: string, create: () => Q): Q {
    let found = this.#queues.get(name);
    if (found === undefined) {
      found = { value: create(), usedAt: 0 };
      this.#queues.set(name, found);
      this.#sweepLater();
    }
    found.usedAt = performance.now();
    return found.value;
  }

  get size(): number {
    return this.#queues.size;
  }

  values(): IterableIterator<Q> {
    return [...this.#queues.values()].map((q) => q.value)[Symbol.iterator]();
  }

  #sweepLater(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      for (const [name, entry] of this.#queues) {
        if (now - entry.usedAt >= this.#idleMs && entry.value.queue.idle) {
          entry.value.queue.close();
          entry.value.close?.();
          this.#queues.delete(name);
        }
      }
      if (this.#queues.size > 0) this.#sweepLater();
    }, this.#idleMs);
    this.#timer.unref();
  }
}
