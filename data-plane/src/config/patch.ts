/**
 * The next version's Runtime from the previous one and the entities a delta changed: the router
 * is patched (../router/patch.ts), services are recompiled by id (and those whose upstream TLS
 * reads a changed CA certificate or certificate), balancers and certificates are rebuilt only
 * when their own entities changed, and the plugin chains are patched: only the chains the changed
 * plugins and routes touch are compiled again. Unchanged parts are shared
 * with the previous Runtime, which stays intact; the result is swapped in one assignment as a
 * full compile's is, and serves the same (patch.test.ts compares them).
 */

import type { EntityName, SyncedEntity } from '@turnpike/shared/schema';
import type { UpstreamBalancer } from '../balancer/upstream-balancer.ts';
import { lookupOnly } from '../plugin-chain/compile.ts';
import { compileOrPatchPlugins } from '../plugin-chain/patch.ts';
import type { RouteConfig, RouterProblem } from '../router/index.ts';
import { patchRouter } from '../router/index.ts';
import type { ProxyServiceConfig, Runtime } from '../runtime/index.ts';
import { compileStreamRouter, isStreamRoute } from '../stream/router.ts';
import { compileCertificateIndex } from './certificates.ts';
import {
  compiledPluginsOf,
  compileServiceInto,
  compileUpstreams,
  runtimeOf,
  streamPluginRuntime,
} from './compile.ts';
import type { SyncedContent } from './decode.ts';
import type { CompileRuntimeOptions, EntityChange, RuntimeUpdate } from './types.ts';
import { referencesTlsEntity, upstreamTlsEntities } from './upstream-tls.ts';

function listOf<N extends EntityName>(entities: SyncedContent, type: N): SyncedEntity<N>[] {
  const byId = entities.get(type);
  return byId === undefined ? [] : [...byId.values()];
}

const NO_SERVICES: ReadonlyMap<string, ProxyServiceConfig> = new Map();
const NO_ROUTES: ReadonlyMap<string, RouteConfig> = new Map();

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
  const routes = () => listOf(entities, 'routes');

  // First, as in a full compile: a configuration this node cannot serve is refused up front.
  // Only the chains the changed plugins and routes touch are compiled (../plugin-chain/patch.ts).
  const plugins =
    options.chains === undefined
      ? compileOrPatchPlugins(compiledPluginsOf(previous), routes, entities, changes, options.plugins)
      : lookupOnly(entities);
  const chains = options.chains ?? plugins.chains;

  const balancersChanged = types.has('upstreams') || types.has('targets');
  const upstreams = balancersChanged
    ? compileUpstreams(
        listOf(entities, 'upstreams'),
        listOf(entities, 'targets'),
        options.balancers,
        problems,
      )
    : previous.upstreams;
  const byName = new Map<string, UpstreamBalancer>();
  for (const balancer of upstreams.values()) byName.set(balancer.spec.name, balancer);

  const serviceMap: ReadonlyMap<string, ProxyServiceConfig> = entities.get('services') ?? NO_SERVICES;
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

  const routeById: ReadonlyMap<string, RouteConfig> = entities.get('routes') ?? NO_ROUTES;
  const changedRoutes = new Map<string, RouteConfig | undefined>();
  for (const id of idsOf(changes, 'routes')) changedRoutes.set(id, routeById.get(id));
  const router =
    changedRoutes.size === 0 && changedServices.size === 0
      ? previous.router
      : patchRouter(previous.router, {
          routes: changedRoutes,
          services: changedServices,
          serviceMap,
          allRoutes: () => routeById.values(),
        });
  if (router !== previous.router) problems.push(...router.problems);

  const certificates =
    types.has('certificates') || types.has('snis')
      ? compileCertificateIndex(listOf(entities, 'certificates'), listOf(entities, 'snis'), problems)
      : previous.certificates;

  // Stream routes are few: the stream router is compiled again when a stream route, or a service
  // while any stream route exists, changed (an HTTP-only delta leaves it as it was).
  const streamsChanged =
    [...changedRoutes].some(
      ([id, route]) => isStreamRoute(route) || previous.streams.routes.some((r) => r.route.id === id),
    ) ||
    ((changedServices.size > 0 || types.has('plugins')) && previous.streams.routes.length > 0);
  const streams = streamsChanged
    ? compileStreamRouter(
        [...routeById.values()],
        serviceMap,
        listOf(entities, 'plugins') as never[],
        problems,
        // The patched instances: a changed plugin's stream entry runs its new configure result.
        streamPluginRuntime(options, plugins),
      )
    : previous.streams;

  return runtimeOf({
    version: update.version,
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
