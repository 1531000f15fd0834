/**
 * Keep-alive undici pools, one per upstream origin and connect timeout. Pools outlive a Runtime:
 * a new config version reuses the warm connections of the previous one.
 */

import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { DispatcherSource, ProxyServiceConfig } from '../runtime/index.ts';

export interface UpstreamPoolOptions {
  /** Kong's upstream_keepalive_pool_size; 0 disables keep-alive. */
  readonly keepalivePoolSize: number;
  /** Kong's upstream_keepalive_max_requests; 0 means unlimited. */
  readonly keepaliveMaxRequests: number;
  /** Kong's upstream_keepalive_idle_timeout, in seconds; 0 means no limit. */
  readonly keepaliveIdleTimeout: number;
}

export const DEFAULT_POOL_OPTIONS: UpstreamPoolOptions = {
  keepalivePoolSize: 512,
  keepaliveMaxRequests: 1000,
  keepaliveIdleTimeout: 60,
};

/** undici wants a finite keep-alive; "no limit" becomes a day. */
const NO_IDLE_LIMIT_MS = 86_400_000;

export class UpstreamPools implements DispatcherSource {
  readonly #pools = new Map<string, Pool>();
  readonly #options: UpstreamPoolOptions;

  constructor(options: UpstreamPoolOptions = DEFAULT_POOL_OPTIONS) {
    this.#options = options;
  }

  dispatcherFor(service: ProxyServiceConfig, connectTimeout: number): Dispatcher {
    const https = service.protocol === 'https';
    const verify = service.tls_verify === true;
    const origin = `${https ? 'https' : 'http'}://${service.host.includes(':') ? `[${service.host}]` : service.host}:${service.port}`;
    const key = `${origin}|${connectTimeout}|${verify}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = this.#createPool(origin, https, verify, connectTimeout);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #createPool(origin: string, https: boolean, verify: boolean, connectTimeout: number): Pool {
    const o = this.#options;
    const idleMs = o.keepaliveIdleTimeout === 0 ? NO_IDLE_LIMIT_MS : o.keepaliveIdleTimeout * 1000;
    return new Pool(origin, {
      pipelining: o.keepalivePoolSize === 0 ? 0 : 1,
      keepAliveTimeout: idleMs,
      keepAliveMaxTimeout: idleMs,
      ...(o.keepaliveMaxRequests > 0 ? { maxRequestsPerClient: o.keepaliveMaxRequests } : {}),
      allowH2: false,
      connect: {
        timeout: connectTimeout,
        ...(https ? { rejectUnauthorized: verify } : {}),
      },
    });
  }

  /** Number of pools open: one per distinct origin and connect timeout. */
  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.destroy()));
  }
}
