/**
 * A Service whose host names an Upstream: compiled once per config version with the service's
 * own protocol and timeouts. A request's attempts (attempts.ts) pick a peer of its Upstream each,
 * and ask this for the peer's pool and the Host it is called by.
 */

import type { Dispatcher } from 'undici';
import type { DispatcherSource, ProxyServiceConfig } from '../runtime/types.ts';
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
}
