/** What a config version is compiled from, and the entity types it reads (the shared schema's). */

import type { OptionalFields, SyncedEntity } from '@turnpike/shared/schema';
import type { BalancerSource } from '../balancer/registry.ts';
import type { TargetConfig, UpstreamConfig } from '../balancer/types.ts';
import type { PluginRuntimeOptions } from '../plugin-chain/compile.ts';
import type { RouteConfig, RouterFlavor } from '../router/index.ts';
import type { DispatcherSource, PluginChain, ProxyServiceConfig } from '../runtime/index.ts';
import type { SyncedContent } from './decode.ts';
import type { VaultEnvironment } from './vault-references.ts';

/** A Certificate entity: only the fields the proxy reads. */
export type CertificateConfig = Pick<SyncedEntity<'certificates'>, 'id' | 'cert' | 'key'> &
  OptionalFields<SyncedEntity<'certificates'>, 'cert_alt' | 'key_alt'>;

/** An SNI entity: a server name (`*.example.com`, `example.*` or exact) and its certificate. */
export type SniConfig = Pick<SyncedEntity<'snis'>, 'name' | 'certificate'> &
  OptionalFields<SyncedEntity<'snis'>, 'id'>;

/** A CA Certificate entity: only the fields the proxy reads. */
export type CaCertificateConfig = Pick<SyncedEntity<'ca_certificates'>, 'id' | 'cert'>;

/** What the data plane compiles: one version of the configuration. */
export interface RuntimeConfig {
  readonly version: string | number;
  readonly services: readonly ProxyServiceConfig[];
  readonly routes: readonly RouteConfig[];
  /** Certificate and SNI entities; served on TLS listeners by server name. */
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
  readonly entities?: SyncedContent;
}

/** One entity changed by a delta (`@turnpike/shared/sync`'s ConfigChange, structurally). */
export interface EntityChange {
  readonly entity: string;
  readonly id: string;
  readonly op: 'upsert' | 'delete';
}

/** The next version as a patch of the running one. */
export interface RuntimeUpdate {
  readonly version: string | number;
  /** Every entity of the new version (type → id → entity). */
  readonly entities: SyncedContent;
  /** What turned the previous version into this one. */
  readonly changes: readonly EntityChange[];
}

export interface CompileRuntimeOptions {
  readonly dispatchers: DispatcherSource;
  /** Router match-cache size; see compileRouter. */
  readonly cacheSize?: number;
  /** kong.conf `router_flavor`; default traditional_compatible. Patches keep the router's own. */
  readonly routerFlavor?: RouterFlavor;
  /** Plugin chains by route id, already built (tests); default: compiled from `config.entities`. */
  readonly chains?: ReadonlyMap<string, PluginChain>;
  /**
   * The plugin handlers this node loaded and the log they write to. Without it, a configuration
   * with an enabled plugin is refused ("… plugin is in use but not enabled"): skipping an
   * authentication plugin would open its routes.
   */
  readonly plugins?: PluginRuntimeOptions;
  /**
   * The balancer registry: it keeps health across versions, so it is injected like the pools.
   * Compiling only plans balancers; the apply path activates them after the swap.
   * Without it, upstreams are not balanced (reported in `problems`).
   */
  readonly balancers?: BalancerSource;
  /**
   * What the `env` vault reads to resolve `{vault://…}` references when a version is applied:
   * the data plane's environment (the worker passes process.env). Without it, every reference
   * resolves to "" with a problem reported, as an unset variable would.
   */
  readonly environment?: VaultEnvironment;
}
