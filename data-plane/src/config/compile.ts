/** Turns one config version into a Runtime: router, service dispatch settings, plugin chains. */

import { ENTITIES } from '@turnpike/shared/schema';
import type { BalancerSource } from '../balancer/registry.ts';
import { ServiceBalancer } from '../balancer/service-balancer.ts';
import type { TargetConfig, UpstreamConfig } from '../balancer/types.ts';
import type { UpstreamBalancer } from '../balancer/upstream-balancer.ts';
import { compilePlugins, lookupOnly, pluginLogs } from '../plugin-chain/compile.ts';
import { CompiledPlugins, pluginLog } from '../plugin-chain/plugins.ts';
import type { RouterProblem } from '../router/index.ts';
import { compileRouter } from '../router/index.ts';
import type {
  DispatcherSource,
  ProxyServiceConfig,
  Runtime,
  ServiceDispatch,
  UpstreamTlsProfile,
} from '../runtime/index.ts';
import type { StreamPluginRuntime } from '../stream/plugins.ts';
import { compileStreamRouter } from '../stream/router.ts';
import { compileCertificateIndex } from './certificates.ts';
import type { CompileRuntimeOptions, RuntimeConfig } from './types.ts';
import { compileUpstreamTls, type UpstreamTlsEntities, upstreamTlsEntities } from './upstream-tls.ts';

const SERVICE_FIELDS = ENTITIES.services.fields;

/** Kong's service defaults, as the services schema gives them. */
export const SERVICE_DEFAULTS = {
  connect_timeout: SERVICE_FIELDS.connect_timeout.default,
  write_timeout: SERVICE_FIELDS.write_timeout.default,
  read_timeout: SERVICE_FIELDS.read_timeout.default,
  retries: SERVICE_FIELDS.retries.default,
} as const;

export const PROXIED_PROTOCOLS: ReadonlySet<string> = new Set([
  'http',
  'https',
  'grpc',
  'grpcs',
  'tcp',
  'tls',
  'udp',
]);

function positive(value: number | null | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** Hands the balancer this service's TLS profile with every peer's pool. */
function withTls(dispatchers: DispatcherSource, tls: UpstreamTlsProfile | undefined): DispatcherSource {
  if (tls === undefined) return dispatchers;
  return {
    dispatcherFor: (service, connectTimeout) => dispatchers.dispatcherFor(service, connectTimeout, tls),
  };
}

export function compileService(
  service: ProxyServiceConfig,
  dispatchers: DispatcherSource,
  upstream: UpstreamBalancer | undefined,
  tls: UpstreamTlsProfile | undefined = undefined,
): ServiceDispatch {
  const connectTimeout = positive(service.connect_timeout, SERVICE_DEFAULTS.connect_timeout);
  return {
    service,
    dispatcher: dispatchers.dispatcherFor(service, connectTimeout, tls),
    balancer:
      upstream === undefined
        ? undefined
        : new ServiceBalancer(upstream, service, connectTimeout, withTls(dispatchers, tls)),
    connectTimeout,
    writeTimeout: positive(service.write_timeout, SERVICE_DEFAULTS.write_timeout),
    readTimeout: positive(service.read_timeout, SERVICE_DEFAULTS.read_timeout),
    retries: positive(service.retries, SERVICE_DEFAULTS.retries),
    tls,
  };
}

const NO_UPSTREAMS: ReadonlyMap<string, UpstreamBalancer> = new Map();

/**
 * The version's balancers, planned: the registry builds them from the running ones' health and
 * DNS answers without changing those; they start serving when the apply path activates them.
 */
export function compileUpstreams(
  upstreams: readonly UpstreamConfig[],
  targets: readonly TargetConfig[],
  balancers: BalancerSource | undefined,
  problems: RouterProblem[],
): ReadonlyMap<string, UpstreamBalancer> {
  if (balancers === undefined) {
    if (upstreams.length > 0) {
      problems.push({ routeId: '', message: 'upstreams are configured but no balancer registry was given' });
    }
    return NO_UPSTREAMS;
  }
  return balancers.plan(upstreams, targets);
}

/** Compiles one service into `services` (or removes it, with a problem, when its protocol is not proxied). */
export function compileServiceInto(
  services: Map<string, ServiceDispatch>,
  service: ProxyServiceConfig,
  byName: ReadonlyMap<string, UpstreamBalancer>,
  tlsEntities: UpstreamTlsEntities,
  options: CompileRuntimeOptions,
  problems: RouterProblem[],
): void {
  if (!PROXIED_PROTOCOLS.has(service.protocol)) {
    services.delete(service.id);
    problems.push({
      routeId: '',
      message: `service ${service.id}: protocol '${service.protocol}' is not proxied yet (http, https, grpc, grpcs, tcp, tls, udp)`,
    });
    return;
  }
  const tls = compileUpstreamTls(service, tlsEntities, problems);
  services.set(service.id, compileService(service, options.dispatchers, byName.get(service.host), tls));
}

/**
 * Compiles a config version once; the result is immutable and safe to swap in whole. Pure: the
 * running version is left as it was (balancers are planned, not activated; see ./activate.ts).
 * `previous`, the running version, lends its plugin instances (unchanged ones keep their
 * configure result) and every instance id's cache.
 */
export function compileRuntime(
  config: RuntimeConfig,
  options: CompileRuntimeOptions,
  previous?: Runtime,
): Runtime {
  const problems: RouterProblem[] = [];
  // First: a configuration this node cannot serve is refused before anything else is built.
  const plugins =
    options.chains === undefined
      ? compilePlugins(config.routes, config.entities, options.plugins, compiledPluginsOf(previous))
      : lookupOnly(config.entities);
  const chains = options.chains ?? plugins.chains;
  const services = new Map<string, ServiceDispatch>();
  const upstreams = compileUpstreams(
    config.upstreams ?? [],
    config.targets ?? [],
    options.balancers,
    problems,
  );
  const byName = new Map<string, UpstreamBalancer>();
  for (const balancer of upstreams.values()) byName.set(balancer.spec.name, balancer);
  const tlsEntities = upstreamTlsEntities(
    config.caCertificates ?? config.entities?.get('ca_certificates'),
    config.certificates ?? config.entities?.get('certificates'),
  );
  for (const service of config.services) {
    compileServiceInto(services, service, byName, tlsEntities, options, problems);
  }
  const router = compileRouter(config.routes, config.services, {
    ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
    ...(options.routerFlavor === undefined ? {} : { flavor: options.routerFlavor }),
  });
  problems.push(...router.problems);
  const certificates = compileCertificateIndex(config.certificates, config.snis, problems);
  const streams = compileStreamRouter(
    config.routes,
    new Map(config.services.map((s) => [s.id, s])),
    [...(config.entities?.get('plugins')?.values() ?? [])] as never[],
    problems,
    streamPluginRuntime(options, plugins),
  );
  return runtimeOf({
    version: config.version,
    router,
    streams,
    services,
    chains,
    plugins,
    upstreams,
    certificates,
    problems,
  });
}

/**
 * What the stream router's log entries take from the version's plugins: the handlers and the very
 * instances the HTTP chains run (one configure, one cache per instance), the chains' loggers.
 */
export function streamPluginRuntime(
  options: CompileRuntimeOptions,
  plugins: CompiledPlugins,
): StreamPluginRuntime | undefined {
  const runtime = options.plugins;
  if (runtime === undefined) return undefined;
  const logs = pluginLogs(runtime);
  return {
    handlers: runtime.handlers,
    instances: plugins.state.instances,
    logFor: (name) => pluginLog(logs, runtime.log, name),
  };
}

/** The running version's compiled plugins, when it has them: a compile keeps their instances and caches. */
export function compiledPluginsOf(runtime: Runtime | undefined): CompiledPlugins | undefined {
  return runtime?.plugins instanceof CompiledPlugins ? runtime.plugins : undefined;
}

/** The Runtime of compiled parts, frozen: what a full compile and a patch both end with. */
export function runtimeOf(parts: Omit<Runtime, 'matchesHeaders'>): Runtime {
  return Object.freeze({ ...parts, matchesHeaders: parts.router.index.headerNames.length > 0 });
}
