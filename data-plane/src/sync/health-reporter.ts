/**
 * A data plane's health reports to its control plane (the proto's HealthReport): the whole state
 * of its balancers, sent after Hello on every stream, and again whenever something may have
 * changed it (a peer's health flipped, a DNS answer changed, a configuration was applied, a worker
 * restarted), coalesced to at most one report per `minIntervalMs`, and only when it differs from
 * the last one sent on the stream. The control plane answers `GET /upstreams/{u}/health` from it.
 */
import type { DataPlaneMessage, HealthReport } from '@turnpike/proto';
import type { Logger, UpstreamHealthReport } from '@turnpike/shared';

export interface HealthReporterOptions {
  /** Every upstream's health, from the proxy workers. */
  readonly collect: () => Promise<readonly UpstreamHealthReport[]>;
  /** Writes to the stream open now; false when none is. */
  readonly send: (message: DataPlaneMessage) => boolean;
  readonly log: Logger;
  /** The shortest time between two reports; default 250 ms (the proto's contract). */
  readonly minIntervalMs?: number;
}

const DEFAULT_MIN_INTERVAL_MS = 250;

/** The wire form of a worker's report. */
export function toHealthReport(upstreams: readonly UpstreamHealthReport[]): HealthReport {
  return {
    upstreams: upstreams.map((u) => ({
      upstreamId: u.upstream,
      balancer: Buffer.from(JSON.stringify(u.balancer ?? null)),
      targets: u.targets.map((t) => ({
        targetId: t.id,
        target: t.target,
        health: t.health,
        data: Buffer.from(JSON.stringify(t.data ?? null)),
      })),
    })),
  };
}

export class HealthReporter {
  readonly #options: HealthReporterOptions;
  readonly #minIntervalMs: number;
  /** What was sent last on the current stream, to send only what differs. */
  #lastSent: string | undefined;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  /** The report being collected and sent, if one is. */
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: HealthReporterOptions) {
    this.#options = options;
    this.#minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  }

  /** A new stream: the control plane knows nothing yet, so the next report goes out whole. */
  streamOpened(): void {
    this.#lastSent = undefined;
    this.#lastSentAt = Number.NEGATIVE_INFINITY;
    this.changed();
  }

  /** Something may have changed the health: a report follows, coalesced with others. */
  changed(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastSentAt + this.#minIntervalMs - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, wait);
    this.#timer.unref();
  }

  /**
   * Reports now (when the state differs from the last report), bypassing the coalescing: before
   * answering a SetTargetHealth, so that the control plane reads the mark once it hears it was done.
   */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): Promise<void> {
    const run = this.#report().finally(() => {
      if (this.#running === run) this.#running = undefined;
      if (this.#again) this.changed();
    });
    this.#running = run;
    return run;
  }

  async #report(): Promise<void> {
    this.#again = false;
    try {
      const upstreams = await this.#options.collect();
      const text = JSON.stringify(upstreams);
      if (text !== this.#lastSent && !this.#stopped) {
        const report = toHealthReport(upstreams);
        if (this.#options.send({ kind: { $case: 'healthReport', value: report } })) {
          this.#lastSent = text;
          this.#lastSentAt = performance.now();
        }
      }
    } catch (error) {
      this.#options.log.warn({ err: error }, 'could not collect the health report for the control plane');
    }
  }
}
