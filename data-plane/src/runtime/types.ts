import type { Dispatcher } from 'undici';
import type { ServiceBalancer } from '../balancer/service-balancer.ts';
import type { TargetConfig, UpstreamConfig } from '../balancer/types.ts';
import type { UpstreamBalancer } from '../balancer/upstream-balancer.ts';
import type { EntityContent } from '../plugins/runtime/entity-lookup.ts';
import type { RouteConfig, Router, RouterProblem, ServiceConfig } from '../router/index.ts';
import type { CertificateConfig, CertificateIndex, SniConfig } from './certificates.ts';
import type { PluginChain } from './plugin-chain.ts';
import type { CaCertificateConfig, UpstreamTlsProfile } from './upstream-tls.ts';

/** A Service with the fields the proxy reads on top of the router's (Kong's names and defaults). */
export interface ProxyServiceConfig extends ServiceConfig {
  /** Milliseconds; Kong's default 60000. */
  readonly connect_timeout?: number | null;
  readonly write_timeout?: number | null;
  readonly read_timeout?: number | null;
  /** Attempts after a connection failure; Kong's default 5. */
  readonly retries?: number | null;
  /** Verify the upstream's TLS certificate (https services); default off, as Kong's proxy_ssl_verify. */
  readonly tls_verify?: boolean | null;
  /** Most intermediate CAs allowed in the upstream's chain; null means nginx's default, 1. */
  readonly tls_verify_depth?: number | null;
  /** Ids of CA Certificate entities trusted for the upstream; empty means the default store. */
  readonly ca_certificates?: readonly string[] | null;
  /** A Certificate entity presented to the upstream (mutual TLS). */
  readonly client_certificate?: { readonly id: string } | null;
}

/** What the data plane compiles: one version of the configuration. */
export interface RuntimeConfig {
  readonly version: string | number;
  readonly services: readonly ProxyServiceConfig[];
  readonly routes: readonly RouteConfig[];
  /** Certificate and SNI entities (Kong's JSON); served on TLS listeners by server name. */
  readonly certificates?: readonly CertificateConfig[];
  readonly snis?: readonly SniConfig[];
  /** CA Certificate entities; default: `entities.get('ca_certificates')`. */
  readonly caCertificates?: readonly CaCertificateConfig[];
  /** Upstream entities: a service whose host is an upstream's name balances over its targets. */
  readonly upstreams?: readonly UpstreamConfig[];
  readonly targets?: readonly TargetConfig[];
  /**
   * The version's synced entities (type → id → entity): plugins, consumers and credentials are
   * read from here to compile the plugin chains and the plugins' lookups.
   */
  readonly entities?: EntityContent;
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

/** Everything a request needs, derived from one config version. Swapped whole. */
export interface Runtime {
  readonly version: string | number;
  readonly router: Router;
  /** By service id. A service missing here (bad protocol) answers 503. */
  readonly services: ReadonlyMap<string, ServiceDispatch>;
  /** By route id; routes without plugins are absent (EMPTY_PLUGIN_CHAIN). */
  readonly chains: ReadonlyMap<string, PluginChain>;
  /** Balancers by upstream id (health reports: balancerHealth). */
  readonly upstreams: ReadonlyMap<string, UpstreamBalancer>;
  /** True when some route matches on headers: only then does the proxy build a header lookup. */
  readonly matchesHeaders: boolean;
  /** TLS contexts by server name; read by the listeners' SNICallback on each handshake. */
  readonly certificates: CertificateIndex;
  readonly problems: readonly RouterProblem[];
}
