/**
 * Whether the database answers, kept current cheaply: while reachable, one probe every
 * `healthyIntervalMs` (a `SELECT 1` on a pooled connection) plus an immediate probe whenever a
 * connection reports an error; while unreachable, a probe every `unhealthyIntervalMs` until one
 * succeeds. Readiness and the datastore's fail-fast read `reachable` synchronously.
 */
import { DatabaseUnavailableError, type Logger } from '@turnpike/shared';

/** What the rest of the control plane sees of the monitor. */
export interface DatastoreHealth {
  /** False from the first failed probe until the next one that succeeds. */
  readonly reachable: boolean;
  /** Why the last probe failed, while unreachable. */
  readonly reason: string | undefined;
  /** Called with the new state on every change; returns the function that unsubscribes. */
  onChange(listener: (reachable: boolean) => void): () => void;
}

export interface HealthMonitorOptions {
  /** Resolves when the database answered; rejects (or outlasts `timeoutMs`) when not. */
  readonly probe: () => Promise<void>;
  readonly log: Logger;
  readonly healthyIntervalMs?: number;
  readonly unhealthyIntervalMs?: number;
  /** A probe still unanswered after this long counts as failed. */
  readonly timeoutMs?: number;
}

export const HEALTHY_PROBE_INTERVAL_MS = 5_000;
export const UNHEALTHY_PROBE_INTERVAL_MS = 250;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

function withTimeout(probe: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailableError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([probe, timeout]).finally(() => clearTimeout(timer));
}

export class HealthMonitor implements DatastoreHealth {
  readonly #options: HealthMonitorOptions;
  readonly #listeners = new Set<(reachable: boolean) => void>();
  #reachable = true;
  #reason: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #probing: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: HealthMonitorOptions) {
    this.#options = options;
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  get reason(): string | undefined {
    return this.#reason;
  }

  onChange(listener: (reachable: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the periodic probe; the state begins as reachable (the caller just connected). */
  start(): void {
    this.#schedule();
  }

  /** A connection failed or a statement met a lost connection: find out now whether the database is gone. */
  suspect(): void {
    if (this.#stopped) return;
    if (this.#probing !== undefined) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#probe();
  }

  /** Resolves once the current probe, if any, is over (tests, and an orderly close). */
  async settled(): Promise<void> {
    await this.#probing;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const interval = this.#reachable
      ? (this.#options.healthyIntervalMs ?? HEALTHY_PROBE_INTERVAL_MS)
      : (this.#options.unhealthyIntervalMs ?? UNHEALTHY_PROBE_INTERVAL_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#probe();
    }, interval);
    this.#timer.unref();
  }

  #probe(): Promise<void> {
    this.#probing = (async () => {
      do {
        this.#again = false;
        let failure: string | undefined;
        try {
          await withTimeout(this.#options.probe(), this.#options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
        } catch (err) {
          failure = err instanceof Error ? err.message : String(err);
        }
        if (this.#stopped) return;
        this.#settle(failure);
      } while (this.#again && this.#reachable);
    })().finally(() => {
      this.#probing = undefined;
      this.#schedule();
    });
    return this.#probing;
  }

  #settle(failure: string | undefined): void {
    const reachable = failure === undefined;
    this.#reason = failure;
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    if (reachable) this.#options.log.info('database reachable again');
    else this.#options.log.error({ reason: failure }, 'database unreachable');
    for (const listener of this.#listeners) {
      try {
        listener(reachable);
      } catch (err) {
        this.#options.log.error({ err }, 'database health listener failed');
      }
    }
  }
}

/** For a datastore that cannot be lost (PGlite, in process): always reachable. */
export const ALWAYS_REACHABLE: DatastoreHealth = {
  reachable: true,
  reason: undefined,
  onChange: () => () => undefined,
};
