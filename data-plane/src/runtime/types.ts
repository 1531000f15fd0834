import type { SecureContext } from 'node:tls';
import type { OptionalFields, SyncedEntity } from '@turnpike/shared/schema';
import type { Dispatcher } from 'undici';
import type { ServiceBalancer } from '../balancer/service-balancer.ts';
import type { UpstreamBalancer } from '../balancer/upstream-balancer.ts';
import type { Router, RouterProblem, ServiceConfig } from '../router/index.ts';
import type { StreamRouter } from '../stream/router.ts';
import type { PluginChain, PluginVersion } from './plugin-chain.ts';

/**
 * A Service with the fields the proxy reads on top of the router's (the shared schema's type;
 * an absent or null field takes Kong's default: timeouts 60000 ms, retries 5, tls_verify off,
 * tls_verify_depth nginx's 1, no CA certificates meaning the default trust store).
 */
export type ProxyServiceConfig = ServiceConfig &
  OptionalFields<
    SyncedEntity<'services'>,
    | 'connect_timeout'
    | 'write_timeout'
    | 'read_timeout'
    | 'retries'
    | 'tls_verify'
    | 'tls_verify_depth'
    | 'ca_certificates'
    | 'client_certificate'
  >;

/** How connections to one service's upstream are secured. */
export interface UpstreamTlsProfile {
  /** Reject a certificate that does not verify (Kong's `tls_verify`; null means off). */
  readonly verify: boolean;
  /** Trusted CA certificates (PEM); undefined means the default trust store. */
  readonly ca: readonly string[] | undefined;
  /** The client certificate and key presented for mutual TLS (`client_certificate`). */
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** Most intermediate CAs allowed between the certificate and its trust anchor (OpenSSL's depth). */
  readonly depth: number;
  /** SHA-256 over everything above: equal digests mean interchangeable connections. */
  readonly digest: string;
}

/** How requests for one service reach it: compiled once per config version. */
export interface ServiceDispatch {
  readonly service: ProxyServiceConfig;
  /**
   * A keep-alive pool to the service's host:port.
   */
  readonly dispatcher: Dispatcher;
  /** Set when the service host names an Upstream: picks a target per attempt (then `dispatcher` is unused). */
  readonly balancer: ServiceBalancer | undefined;
  readonly connectTimeout: number;
  readonly writeTimeout: number;
  readonly readTimeout: number;
  readonly retries: number;
  /** How the connection to the upstream is secured; undefined for plain-text protocols. */
  readonly tls: UpstreamTlsProfile | undefined;
}

/** Hands out the dispatcher for a service; pools outlive a Runtime, so this is injected. */
export interface DispatcherSource {
  /** `tls` is the service's compiled profile: connections with different profiles never mix. */
  dispatcherFor(service: ProxyServiceConfig, connectTimeout: number, tls?: UpstreamTlsProfile): Dispatcher;
}

/** Lowercase SNI name → the context of its certificate. */
export interface CertificateIndex {
  readonly byName: ReadonlyMap<string, SecureContext>;
}

/** Everything a request needs, derived from one config version. Swapped whole. */
export interface Runtime {
  readonly version: string | number;
  readonly router: Router;
  /** The `tcp` / `tls` / `tls_passthrough` routes, for the stream listeners (../stream). */
  readonly streams: StreamRouter;
  /** By service id. A service missing here (bad protocol) answers 503. */
  readonly services: ReadonlyMap<string, ServiceDispatch>;
  /** By route id; routes without plugins are absent (EMPTY_PLUGIN_CHAIN). */
  readonly chains: ReadonlyMap<string, PluginChain>;
  /** The entities plugins read (`ctx.db`, handed to each run) and what the chains' compile cost. */
  readonly plugins: PluginVersion;
  /** Balancers by upstream id (health reports: balancerHealth). */
  readonly upstreams: ReadonlyMap<string, UpstreamBalancer>;
  /** True when some route matches on headers: only then does the proxy build a header lookup. */
  readonly matchesHeaders: boolean;
  /** TLS contexts by server name; read by the listeners' SNICallback on each handshake. */
  readonly certificates: CertificateIndex;
  readonly problems: readonly RouterProblem[];
}

/**
 * Where the proxy reads the Runtime a request starts with: read `current` once and keep that
 * Runtime to the request's end. Only `../config` swaps it (see its README).
 */
export interface RuntimeSource {
  readonly current: Runtime;
}
