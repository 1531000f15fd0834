/**
 * A peer is one resolved address (ip:port) of a target. Its health and load live in a PeerState
 * that the registry keeps across config versions and DNS refreshes, so neither resets a peer
 * marked unhealthy nor forgets the requests it has in flight.
 *
 * Counting follows Kong's healthchecker (kong/resty/healthcheck.lua): four counters, one success
 * and three failure kinds; a failure resets only the success counter, a success resets all three
 * failure counters; successes are not counted while healthy, nor failures while unhealthy (but
 * they still reset the other side); a limit of 0 switches that counter off entirely; reaching a
 * limit flips the state and clears the counters.
 */

import type { HealthLimits } from './types.ts';

export type FailureKind = 'http' | 'tcp' | 'timeout';

export class PeerState {
  healthy = true;
  successes = 0;
  httpFailures = 0;
  tcpFailures = 0;
  timeouts = 0;
  /** Requests in flight (least-connections, latency). */
  active = 0;
  /** Exponentially weighted response time in ms (latency); 0 until the first response. */
  ewma = 0;
  ewmaAt = 0;

  #clear(): void {
    this.successes = 0;
    this.httpFailures = 0;
    this.tcpFailures = 0;
    this.timeouts = 0;
  }

  /** Sets the health by hand (the Admin API's healthy/unhealthy); true when it changed. */
  force(healthy: boolean): boolean {
    this.#clear();
    if (this.healthy === healthy) return false;
    this.healthy = healthy;
    return true;
  }

  /** Counts a success; true when it made the peer healthy. */
  success(limits: HealthLimits): boolean {
    if (limits.successes === 0) return false;
    this.httpFailures = 0;
    this.tcpFailures = 0;
    this.timeouts = 0;
    if (this.healthy) return false;
    if (++this.successes < limits.successes) return false;
    this.healthy = true;
    this.#clear();
    return true;
  }

  /** Counts a failure; true when it made the peer unhealthy. */
  failure(kind: FailureKind, limits: HealthLimits): boolean {
    const limit =
      kind === 'http' ? limits.httpFailures : kind === 'tcp' ? limits.tcpFailures : limits.timeouts;
    if (limit === 0) return false;
    this.successes = 0;
    if (!this.healthy) return false;
    let counted: number;
    if (kind === 'http') counted = ++this.httpFailures;
    else if (kind === 'tcp') counted = ++this.tcpFailures;
    else counted = ++this.timeouts;
    if (counted < limit) return false;
    this.healthy = false;
    this.#clear();
    return true;
  }

  /** Counts an HTTP status: healthy statuses are successes, unhealthy ones http failures. */
  status(status: number, limits: HealthLimits): boolean {
    const kind = status >= 0 && status < 1000 ? limits.statuses[status] : 0;
    if (kind === 1) return this.success(limits);
    if (kind === 2) return this.failure('http', limits);
    return false;
  }

  /** Kong's EWMA with a 10 s decay (kong/runloop/balancer/ewma.lua). */
  observe(ms: number, now: number): void {
    if (this.ewmaAt === 0) {
      this.ewma = ms;
    } else {
      const weight = Math.exp(-Math.max(0, now - this.ewmaAt) / EWMA_DECAY_MS);
      this.ewma = this.ewma * weight + ms * (1 - weight);
    }
    this.ewmaAt = now;
  }
}

const EWMA_DECAY_MS = 10_000;

/** One address a request can be sent to. Rebuilt on config or DNS change; `state` persists. */
export interface Peer {
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  /** `ip:port`, IPv6 in brackets: the pool key and the health key. */
  readonly key: string;
  /** The target's host name (or IP): Kong's `hostname`, used for the Host header and active probes. */
  readonly hostname: string;
  /** The target's `host:port` as configured. */
  readonly target: string;
  readonly state: PeerState;
}

export function isAvailable(peer: Peer): boolean {
  return peer.weight > 0 && peer.state.healthy;
}

export function peerKey(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
