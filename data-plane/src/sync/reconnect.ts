import { type BackoffOptions, backoffDelay } from './backoff.ts';

export interface ReconnectOptions {
  backoff: BackoffOptions;
  /** Whether the control plane's address accepts a TCP connection now (see probe.ts). */
  probe: () => Promise<boolean>;
  /** The mean time between two probes while waiting; each is drawn from [½, 1½] of it. Default 400 ms. */
  probeIntervalMs?: number;
  /** Once the address answers again, connect within a uniform draw in [0, this); default 250 ms. */
  comebackJitterMs?: number;
  random?: () => number;
}

export const DEFAULT_PROBE_INTERVAL_MS = 400;
export const DEFAULT_COMEBACK_JITTER_MS = 250;

/**
 * When to try the control plane again after a stream ended. The delay is capped exponential
 * backoff with full jitter (backoff.ts), so that a fleet cut off together does not come back in
 * lockstep; but a restarted control plane (a rolling deploy) should see its data planes back in
 * well under two seconds, not after a backoff grown to tens of seconds while it was down.
 *
 * So, while waiting, the control plane's address is probed with a bare TCP connect every
 * ~400 ms. The signal is the *transition*: a probe refused, then one answered — the control
 * plane was gone and its cluster listener is back (it binds only once it can serve). The wait is
 * then cut to a jittered moment. An address that answers throughout (the stream failed above
 * TCP: TLS, a refusal, a load balancer in front) cuts nothing, so such a failure cannot turn into
 * a tight loop; and a data plane the control plane refused waits the whole cap, unprobed.
 *
 * Why TCP and not grpc-js's connectivity state: each attempt opens a fresh channel (transport.ts)
 * so that grpc-js's own reconnect backoff never stacks on this one, which leaves no channel to
 * watch between attempts; a TCP connect is cheap, needs no certificate and says exactly "the
 * listener is there".
 */
export class ReconnectTimer {
  readonly #options: ReconnectOptions;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  /** Identifies the wait in progress; a probe answering after a cancel sees another one. */
  #wait: object | undefined;

  constructor(options: ReconnectOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Calls `connect` once, after the backoff for `attempt` (0-based) — the cap when `refused` —
   * or sooner when the address comes back meanwhile. Replaces any wait in progress. Returns the
   * backoff delay, in ms.
   */
  schedule(attempt: number, refused: boolean, connect: () => void): number {
    this.cancel();
    const backoff = this.#options.backoff;
    const delay = refused ? backoff.maxMs : backoffDelay(attempt, backoff, this.#random);
    const wait = {};
    this.#wait = wait;
    const fire = () => {
      if (this.#wait !== wait) return;
      this.cancel();
      connect();
    };
    this.#timer = setTimeout(fire, delay);
    this.#timer.unref();
    const interval = this.#options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    if (!refused && delay > interval) this.#watch(wait, fire, interval);
    return delay;
  }

  cancel(): void {
    this.#wait = undefined;
    clearTimeout(this.#timer);
    clearTimeout(this.#probeTimer);
    this.#timer = undefined;
    this.#probeTimer = undefined;
  }

  #watch(wait: object, fire: () => void, interval: number): void {
    let sawDown = false;
    const probeOnce = async () => {
      this.#probeTimer = undefined;
      const up = await this.#options.probe().catch(() => false);
      if (this.#wait !== wait) return;
      if (!up) sawDown = true;
      else if (sawDown) {
        clearTimeout(this.#timer);
        const jitter = this.#options.comebackJitterMs ?? DEFAULT_COMEBACK_JITTER_MS;
        this.#timer = setTimeout(fire, Math.floor(this.#random() * jitter));
        this.#timer.unref();
        return;
      }
      this.#probeTimer = setTimeout(probeOnce, interval * (0.5 + this.#random()));
      this.#probeTimer.unref();
    };
    // At once: a stream that just failed says nothing yet about whether the listener is there.
    void probeOnce();
  }
}
