/**
 * The upstream-attempt machine: one request's attempts at its service, whatever the protocol.
 *
 * - Each attempt goes to the service's own host, or — for a service on an Upstream — to the peer
 *   its balancer picks for this request (consistent hashing reads the request once, before the
 *   first attempt, so a consumer the plugins authenticated is known), away from the peer before.
 * - An attempt that failed is retried, up to the service's `retries`, only when it never reached
 *   the upstream: the connection did not open (upstream/failure.ts `isRetryable`) and the
 *   protocol had not reported it connected.
 * - Each attempt is reported to passive health checks: the status the upstream answered, or a
 *   failure as Kong's balancer counts it (a 504 is a timeout, anything else a TCP failure), and
 *   its time to the latency algorithm; the peer counts one request in flight until released.
 * - A request that cannot be served ends with 503 (no peer can take it: Kong's message), 504 (a
 *   timeout: connect, read or write) or 502 (anything else), as nginx decides for Kong.
 *
 * The protocol extends it (HTTP and WebSocket through undici, gRPC and TCP streams next): it sends
 * one attempt (`sendAttempt`) and reports what became of it — `connected` (the request is on its
 * way: a failure after this is never retried), `failed` (before or after that), `responded` (the
 * upstream answered), `released` (the attempt holds its peer no longer) — and answers a failure
 * its own way (`answerFailure`: an error page, raw bytes, a gRPC status, a closed socket). The
 * protocol's call object is the machine: no second object per request.
 */

import { classifyUpstreamError, isRetryable } from '../upstream/failure.ts';
import { type HashRequest, hashValue } from './hash-value.ts';
import type { Peer } from './peer.ts';
import { NO_PEER_BODY } from './service-balancer.ts';
import type { UpstreamBalancer } from './upstream-balancer.ts';

/** How a request the service could not serve ends (the body: Kong's own, when it has one). */
export type FailureStatus = 502 | 503 | 504;

/**
 * What the machine reads of a service, whatever its protocol (a compiled ServiceDispatch is one):
 * how many retries it allows, and the balancer of its Upstream when its host names one.
 */
export interface AttemptedService {
  readonly retries: number;
  readonly balancer: { readonly upstream: UpstreamBalancer } | undefined;
  /** Where an attempt goes without a balancer: named in the record of a failed try. */
  readonly service?: { readonly host: string; readonly port: number };
}

/**
 * An attempt that failed (Kong's balancer try with its `state` and `code`): every one a retry
 * followed, and the last when the request ended on it. Recorded only when an attempt fails.
 */
export interface FailedTry {
  readonly ip: string;
  readonly port: number;
  /** performance.now() when the attempt started, and when it failed. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Kong's code of the failure: 504 for a timeout, else 502. */
  readonly code: 502 | 504;
}

const NO_FAILED_TRIES: readonly FailedTry[] = Object.freeze([]);

export abstract class UpstreamAttempts {
  readonly #retries: number;
  readonly #balancer: UpstreamBalancer | undefined;
  /** The value consistent hashing hashes ('' when it does not apply). */
  #hash = '';
  /** Set-Cookie for a hash cookie this request created (consistent hashing on a cookie it lacked). */
  hashCookie: string | undefined = undefined;
  #peer: Peer | undefined = undefined;
  /** The current attempt's peer counts this request in flight. */
  #holding = false;
  #attempts = 0;
  #connected = false;
  #sentAt = 0;
  #failedTries: FailedTry[] | undefined = undefined;
  readonly #target: { readonly host: string; readonly port: number } | undefined;

  constructor(service: AttemptedService) {
    this.#target = service.service;
    this.#retries = service.retries;
    this.#balancer = service.balancer?.upstream;
  }

  /** The peer of the last attempt (undefined for a service not on an Upstream): logs and metrics. */
  get peer(): Peer | undefined {
    return this.#peer;
  }

  /** Attempts made so far. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The attempts that failed, in order (empty when none did): the log serializer's failed tries. */
  get failedTries(): readonly FailedTry[] {
    return this.#failedTries ?? NO_FAILED_TRIES;
  }

  /** When the current attempt started (performance.now()): latency headers and the EWMA. */
  get sentAt(): number {
    return this.#sentAt;
  }

  /** The first attempt. `request` is read once here, for consistent hashing. */
  protected begin(request: HashRequest): void {
    const balancer = this.#balancer;
    if (balancer !== undefined) {
      const spec = balancer.spec;
      if (spec.algorithm === 'consistent-hashing') {
        const decision = hashValue(spec, request);
        this.#hash = decision.value;
        this.hashCookie = decision.setCookie;
      }
    }
    this.#attempt();
  }

  #attempt(): void {
    this.#release();
    this.#attempts++;
    this.#connected = false;
    this.#sentAt = performance.now();
    const balancer = this.#balancer;
    if (balancer === undefined) {
      this.sendAttempt(undefined);
      return;
    }
    const peer = balancer.pick(this.#hash, this.#peer);
    if (peer === undefined) {
      this.answerFailure(503, NO_PEER_BODY);
      return;
    }
    this.#peer = peer;
    peer.state.active++;
    this.#holding = true;
    this.sendAttempt(peer);
  }

  /**
   * Sends one attempt. `peer` is the balancer's pick; undefined for a service not on an Upstream
   * (its own host and port). What became of it is reported with the methods below.
   */
  protected abstract sendAttempt(peer: Peer | undefined): void;

  /** Answers the client when the service could not serve the request; `body` is Kong's `{"message"}`, if any. */
  protected abstract answerFailure(status: FailureStatus, body: Buffer | undefined): void;

  /** The attempt reached the upstream (its connection is open, the request on its way): no retry from here. */
  protected connected(): void {
    this.#connected = true;
  }

  /** The upstream answered the attempt: its status counts for passive checks, its delay for `latency`. */
  protected responded(status: number): void {
    const peer = this.#peer;
    if (peer === undefined) return;
    peer.state.observe(performance.now() - this.#sentAt, Date.now());
    this.#balancer!.reportStatus(peer, status);
  }

  /**
   * The attempt failed on the upstream's side. Counted for passive checks, then either retried on
   * another peer (it never reached the upstream, and retries are left) or answered: 504 for a
   * timeout, 502 otherwise.
   */
  protected failed(err: unknown): void {
    const timeout = classifyUpstreamError(err) === 'timeout';
    const peer = this.#peer;
    const target =
      peer ?? (this.#target === undefined ? undefined : { ip: this.#target.host, port: this.#target.port });
    if (target !== undefined) {
      this.#failedTries ??= [];
      this.#failedTries.push({
        ip: target.ip,
        port: target.port,
        startedAt: this.#sentAt,
        endedAt: performance.now(),
        code: timeout ? 504 : 502,
      });
    }
    if (peer !== undefined) {
      this.#release();
      this.#balancer!.reportFailure(peer, timeout ? 'timeout' : 'tcp');
    }
    if (!this.#connected && this.#attempts <= this.#retries && isRetryable(err)) {
      this.#attempt();
      return;
    }
    this.answerFailure(timeout ? 504 : 502, undefined);
  }

  /** The attempt is over (answered, abandoned or, for a tunnel, closed): its peer has one request less in flight. */
  protected released(): void {
    this.#release();
  }

  #release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#peer!.state.active--;
  }
}
