/**
 * A Service whose host names an Upstream: compiled once per config version with the service's
 * own protocol and timeouts; each request gets a BalancedRequest that picks the peer for every
 * attempt and reports what happened to it (passive health checks, connections, latency).
 */

import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { DispatcherSource, ProxyServiceConfig } from '../runtime/types.ts';
import { classifyUpstreamError } from '../upstream/failure.ts';
import { type HashRequest, hashValue } from './hash-value.ts';
import type { Peer } from './peer.ts';
import type { UpstreamBalancer } from './upstream-balancer.ts';

/** Kong's answer when no target can take the request (kong/runloop/balancer/init.lua). */
export const NO_PEER_MESSAGE = 'failure to get a peer from the ring-balancer';
export const NO_PEER_BODY = Buffer.from(JSON.stringify({ message: NO_PEER_MESSAGE }));

export class ServiceBalancer {
  readonly upstream: UpstreamBalancer;
  readonly #service: ProxyServiceConfig;
  readonly #connectTimeout: number;
  readonly #dispatchers: DispatcherSource;
  readonly #scheme: 'http' | 'https';
  /** By peer key: the pool for this service's protocol and timeouts. */
  readonly #pools = new Map<string, Dispatcher>();

  constructor(
    upstream: UpstreamBalancer,
    service: ProxyServiceConfig,
    connectTimeout: number,
    dispatchers: DispatcherSource,
  ) {
    this.upstream = upstream;
    this.#service = service;
    this.#connectTimeout = connectTimeout;
    this.#dispatchers = dispatchers;
    this.#scheme = service.protocol === 'https' ? 'https' : 'http';
  }

  dispatcherFor(peer: Peer): Dispatcher {
    let pool = this.#pools.get(peer.key);
    if (pool === undefined) {
      pool = this.#dispatchers.dispatcherFor(
        { ...this.#service, host: peer.ip, port: peer.port },
        this.#connectTimeout,
      );
      this.#pools.set(peer.key, pool);
    }
    return pool;
  }

  hostFor(peer: Peer): string {
    return this.upstream.hostFor(peer, this.#scheme);
  }

  /**
   * Starts balancing one request. `headers` is the upstream request's header list and `hostIndex`
   * the index of the Host value in it, rewritten per attempt unless the route preserves the host.
   * The hash value is computed only for consistent hashing, once, before the first attempt.
   */
  request(
    req: IncomingMessage,
    clientIp: string,
    path: string,
    query: string,
    uriCaptures: HashRequest['uriCaptures'],
    headers: string[],
    hostIndex: number,
    preserveHost: boolean,
  ): BalancedRequest {
    const spec = this.upstream.spec;
    const decision =
      spec.algorithm === 'consistent-hashing'
        ? hashValue(spec, { headers: req.headers, clientIp, path, query, uriCaptures, consumerId: undefined })
        : undefined;
    return new BalancedRequest(
      this,
      decision?.value ?? '',
      decision?.setCookie,
      headers,
      preserveHost ? -1 : hostIndex,
    );
  }
}

/** The balancing state of one request across its attempts. */
export class BalancedRequest {
  readonly #service: ServiceBalancer;
  readonly #hash: string;
  readonly #headers: string[];
  readonly #hostIndex: number;
  /** Set-Cookie value for a hash cookie created for this request. */
  readonly setCookie: string | undefined;
  #peer: Peer | undefined;
  #counted = false;

  constructor(
    service: ServiceBalancer,
    hash: string,
    setCookie: string | undefined,
    headers: string[],
    hostIndex: number,
  ) {
    this.#service = service;
    this.#hash = hash;
    this.setCookie = setCookie;
    this.#headers = headers;
    this.#hostIndex = hostIndex;
  }

  /** The peer of the current attempt. */
  get peer(): Peer | undefined {
    return this.#peer;
  }

  /** Picks the peer of the next attempt (away from the previous one); undefined when none is left. */
  next(): Dispatcher | undefined {
    this.done();
    const peer = this.#service.upstream.pick(this.#hash, this.#peer);
    if (peer === undefined) return undefined;
    this.#peer = peer;
    peer.state.active++;
    this.#counted = true;
    if (this.#hostIndex >= 0) this.#headers[this.#hostIndex] = this.#service.hostFor(peer);
    return this.#service.dispatcherFor(peer);
  }

  /** The upstream answered: its status counts for passive checks, its delay for `latency`. */
  responded(status: number, elapsedMs: number): void {
    const peer = this.#peer;
    if (peer === undefined) return;
    peer.state.observe(elapsedMs, Date.now());
    this.#service.upstream.reportStatus(peer, status);
  }

  /** The attempt failed on the upstream's side: a timeout or a connection failure (Kong's tcp_failure). */
  failed(err: unknown): void {
    const peer = this.#peer;
    if (peer === undefined) return;
    this.done();
    this.#service.upstream.reportFailure(peer, classifyUpstreamError(err) === 'timeout' ? 'timeout' : 'tcp');
  }

  /** The attempt is over: its peer has one request less in flight. Safe to call more than once. */
  done(): void {
    if (!this.#counted) return;
    this.#counted = false;
    this.#peer!.state.active--;
  }
}
