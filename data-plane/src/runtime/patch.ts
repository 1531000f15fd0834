/**
 * The next version's Runtime from the previous one and the entities a delta changed: the router
 * is patched (../router/patch.ts), services are recompiled by id (and those whose upstream TLS
 * reads a changed CA certificate or certificate), and balancers, certificates and
 * plugin chains are rebuilt only when their own entities changed. Unchanged parts are shared
 * with the previous Runtime, which stays intact; the result is swapped in one assignment as a
 * full compile's is, and serves the same (patch.test.ts compares them).
 */

import type { UpstreamBalancer } from '../balancer/upstream-balancer.ts';
import { compilePluginChains } from '../plugins/runtime/compile.ts';
import type { EntityContent } from '../plugins/runtime/entity-lookup.ts';
import type { RouteConfig, RouterProblem, ServiceConfig } from '../router/index.ts';
import { patchRouter } from '../router/index.ts';
import { compileCertificateIndex } from './certificates.ts';
import { type CompileRuntimeOptions, compileServiceInto, compileUpstreams } from './compile.ts';
import type { ProxyServiceConfig, Runtime, RuntimeConfig } from './types.ts';
import { referencesTlsEntity, upstreamTlsEntities } from './upstream-tls.ts';

/** One entity changed by a delta (`@turnpike/shared/sync`'s ConfigChange, structurally). */
export interface EntityChange {
  readonly entity: string;
  readonly id: string;
  readonly op: 'upsert' | 'delete';
}

export interface RuntimeUpdate {
  readonly version: string | number;
  /** Every entity of the new version (type → id → entity). */
  readonly entities: EntityContent;
  /** What turned the previous version into this one. */
  readonly changes: readonly EntityChange[];
}

/** The types the router, services, balancers and certificates read; any other type feeds plugins. */
const RUNTIME_TYPES = new Set([
  'routes',
  'services',
  'upstreams',
  'targets',
  'certificates',
  'snis',
  'ca_certificates',
]);

const NONE: ReadonlyMap<string, unknown> = new Map();

function listOf<T>(entities: EntityContent, type: string): T[] {
  return [...(entities.get(type) ?? NONE).values()] as T[];
}

function idsOf(changes: readonly EntityChange[], type: string): Set<string> {
  const ids = new Set<string>();
  for (const change of changes) if (change.entity === type) ids.add(change.id);
  return ids;
}

/** Services whose TLS profile reads a CA certificate or certificate the delta changed. */
function servicesUsingTls(
  serviceMap: ReadonlyMap<string, ProxyServiceConfig>,
  changes: readonly EntityChange[],
): Set<string> {
  const ids = new Set<string>();
  const caIds = idsOf(changes, 'ca_certificates');
  const certificateIds = idsOf(changes, 'certificates');
  if (caIds.size === 0 && certificateIds.size === 0) return ids;
  for (const [id, service] of serviceMap) {
    if (referencesTlsEntity(service, caIds, certificateIds)) ids.add(id);
  }
  return ids;
}

/** Applies a delta's changes to `previous`; `problems` holds those of what the delta touched. */
export function patchRuntime(
  previous: Runtime,
  update: RuntimeUpdate,
  options: CompileRuntimeOptions,
): Runtime {
  const { entities, changes } = update;
  const types = new Set(changes.map((c) => c.entity));
  const problems: RouterProblem[] = [];
  const routes = () => listOf<RouteConfig>(entities, 'routes');

  // First, as in a full compile: a configuration this node cannot serve is refused up front.
  const pluginsChanged = [...types].some((type) => !RUNTIME_TYPES.has(type));
  const hasPlugins = (entities.get('plugins')?.size ?? 0) > 0;
  const chains =
    options.chains ??
    (pluginsChanged || hasPlugins || previous.chains.size > 0
      ? compilePluginChains(routes(), entities, options.plugins)
      : previous.chains);

  const balancersChanged = types.has('upstreams') || types.has('targets');
  const upstreams = balancersChanged
    ? compileUpstreams(
        {
          version: update.version,
          services: [],
          routes: [],
          upstreams: listOf(entities, 'upstreams'),
          targets: listOf(entities, 'targets'),
        } satisfies RuntimeConfig,
        options.balancers,
        problems,
      )
    : previous.upstreams;
  const byName = new Map<string, UpstreamBalancer>();
  for (const balancer of upstreams.values()) byName.set(balancer.spec.name, balancer);

  const serviceMap = (entities.get('services') ?? NONE) as ReadonlyMap<string, ProxyServiceConfig>;
  const changedServices = idsOf(changes, 'services');
  const tlsServices = servicesUsingTls(serviceMap, changes);
  let services = previous.services;
  if (balancersChanged || changedServices.size > 0 || tlsServices.size > 0) {
    const next = new Map(previous.services);
    const tlsEntities = upstreamTlsEntities(entities.get('ca_certificates'), entities.get('certificates'));
    // A service's balancer is found by its host: after an upstream change, every service is redone.
    const redo = balancersChanged ? serviceMap.keys() : new Set([...changedServices, ...tlsServices]);
    for (const id of redo) {
      const service = serviceMap.get(id);
      if (service === undefined) next.delete(id);
      else compileServiceInto(next, service, byName, tlsEntities, options, problems);
    }
    services = next;
  }

  const routeById = (entities.get('routes') ?? NONE) as ReadonlyMap<string, RouteConfig>;
  const changedRoutes = new Map<string, RouteConfig | undefined>();
  for (const id of idsOf(changes, 'routes')) changedRoutes.set(id, routeById.get(id));
  const router =
    changedRoutes.size === 0 && changedServices.size === 0
      ? previous.router
      : patchRouter(previous.router, {
          routes: changedRoutes,
          services: changedServices,
          serviceMap: serviceMap as ReadonlyMap<string, ServiceConfig>,
          allRoutes: () => routeById.values(),
        });
  if (router !== previous.router) problems.push(...router.problems);

  const certificates =
    types.has('certificates') || types.has('snis')
      ? compileCertificateIndex(listOf(entities, 'certificates'), listOf(entities, 'snis'), problems)
      : previous.certificates;

  return Object.freeze({
    version: update.version,
    router,
    services,
    chains,
    upstreams,
    matchesHeaders: router.index.headerNames.length > 0,
    certificates,
    problems,
  });
}
