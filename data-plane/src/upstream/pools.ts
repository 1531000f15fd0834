/**
 * Keep-alive undici pools, one per upstream origin, connect timeout and TLS profile. Pools outlive
 * a Runtime: a new config version reuses the warm connections of the previous one, unless the
 * service's TLS profile changed (its digest is part of the key).
 */

import type { LookupFunction } from 'node:net';
import type { Logger } from '@turnpike/shared';
import type { Dispatcher } from 'undici';
import type { DispatcherSource, ProxyServiceConfig, UpstreamTlsProfile } from '../runtime/index.ts';
import { H2Dispatcher } from './h2-dispatcher.ts';
import { tlsConnectOptions } from './tls.ts';
import { Pool } from './undici-parts.ts';

export interface UpstreamPoolOptions {
  /** Kong's upstream_keepalive_pool_size; 0 disables keep-alive. */
  readonly keepalivePoolSize: number;
  /** Kong's upstream_keepalive_max_requests; 0 means unlimited. */
  readonly keepaliveMaxRequests: number;
  /** Kong's upstream_keepalive_idle_timeout, in seconds; 0 means no limit. */
  readonly keepaliveIdleTimeout: number;
  /** How host names are resolved when connecting (the dns_* keys); node's dns.lookup by default. */
  readonly lookup?: LookupFunction;
}

export const DEFAULT_POOL_OPTIONS: UpstreamPoolOptions = {
  keepalivePoolSize: 512,
  keepaliveMaxRequests: 1000,
  keepaliveIdleTimeout: 60,
};

/** undici wants a finite keep-alive; "no limit" becomes a day. */
const NO_IDLE_LIMIT_MS = 86_400_000;
/** Subtracted from a service's Keep-Alive timeout hint before a connection is kept that long (undici: 2 s). */
const KEEPALIVE_HINT_MARGIN_MS = 1_000;

const UNVERIFIED: UpstreamTlsProfile = Object.freeze({
  verify: false,
  ca: undefined,
  cert: undefined,
  key: undefined,
  depth: 1,
  digest: 'unverified',
});
const VERIFIED: UpstreamTlsProfile = Object.freeze({ ...UNVERIFIED, verify: true, digest: 'verified' });

/** For callers that pass no profile: the service's own `tls_verify` with the default trust store. */
function profileFromService(service: ProxyServiceConfig): UpstreamTlsProfile {
  return service.tls_verify === true ? VERIFIED : UNVERIFIED;
}

function codeOf(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export class UpstreamPools implements DispatcherSource {
  readonly #pools = new Map<string, Pool | H2Dispatcher>();
  readonly #options: UpstreamPoolOptions;
  readonly #log: Logger | undefined;

  /** `log` receives connection failures (refused, TLS verification…), as nginx's error log. */
  constructor(options: UpstreamPoolOptions = DEFAULT_POOL_OPTIONS, log?: Logger) {
    this.#options = options;
    this.#log = log;
  }

  /**
   * `tls` is the service's compiled profile; an https service without one (a caller that does not
   * compile profiles) is served as Kong's default: no verification, no client certificate.
   */
  dispatcherFor(service: ProxyServiceConfig, connectTimeout: number, tls?: UpstreamTlsProfile): Dispatcher {
    const https = service.protocol === 'https' || service.protocol === 'wss' || service.protocol === 'grpcs';
    const origin = `${https ? 'https' : 'http'}://${service.host.includes(':') ? `[${service.host}]` : service.host}:${service.port}`;
    const profile = https ? (tls ?? profileFromService(service)) : undefined;
    const h2 = service.protocol === 'grpc' || service.protocol === 'grpcs';
    const key = `${origin}|${connectTimeout}|${profile?.digest ?? ''}${h2 ? '|h2' : ''}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = this.#createPool(origin, profile, connectTimeout, h2);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * `h2`: a gRPC service, reached over HTTP/2 only — h2c with prior knowledge for `grpc`, ALPN h2
   * for `grpcs` — its calls multiplexed on one session (h2-dispatcher.ts).
   */
  #createPool(
    origin: string,
    tls: UpstreamTlsProfile | undefined,
    connectTimeout: number,
    h2: boolean,
  ): Pool | H2Dispatcher {
    const o = this.#options;
    if (h2) {
      return new H2Dispatcher(origin, {
        connectTimeout,
        tls: tls === undefined ? undefined : tlsConnectOptions(tls),
        lookup: o.lookup,
      });
    }
    const idleMs = o.keepaliveIdleTimeout === 0 ? NO_IDLE_LIMIT_MS : o.keepaliveIdleTimeout * 1000;
    const pool = new Pool(origin, {
      pipelining: o.keepalivePoolSize === 0 ? 0 : 1,
      keepAliveTimeout: idleMs,
      keepAliveMaxTimeout: idleMs,
      // A service's `Keep-Alive: timeout=N` hint is honoured less this margin. undici's default, 2 s,
      // made a hint of 2 s or less (gunicorn's default is 2 s) close every connection after one
      // response; 1 s still leaves room for the request's way to the service.
      keepAliveTimeoutThreshold: KEEPALIVE_HINT_MARGIN_MS,
      ...(o.keepaliveMaxRequests > 0 ? { maxRequestsPerClient: o.keepaliveMaxRequests } : {}),
      allowH2: false,
      connect: {
        timeout: connectTimeout,
        ...(o.lookup === undefined ? {} : { lookup: o.lookup }),
        ...(tls === undefined ? {} : tlsConnectOptions(tls)),
      },
    });
    const log = this.#log;
    if (log !== undefined) {
      pool.on('connectionError', (_origin, _clients, err) => {
        log.error({ upstream: origin, code: codeOf(err), err: err.message }, 'upstream connection failed');
      });
    }
    return pool;
  }

  /** Number of pools open: one per distinct origin, connect timeout and TLS profile. */
  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.destroy()));
  }
}
