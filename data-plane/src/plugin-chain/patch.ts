/**
 * The next version's plugins from the running one and a delta, in time proportional to what the
 * delta touched, as the router is patched: the changed plugin entities are checked and compiled
 * (the others keep their compiled instance, configure result and cache), re-bucketed, and only
 * the chains they (or changed routes) touch are compiled again — a route-scoped change one
 * route's chain, a service-scoped one that service's chain and the chains of its routes with
 * route-scoped instances. A change to a global or consumer-only instance touches every chain:
 * that is a full compile (still keeping the unchanged instances). The entity lookup is patched
 * by the changed ids. The result equals a full compile's (patch.test.ts checks it).
 */

import { LayeredMap } from '@turnpike/shared/sync';
import type { PluginChain } from '../runtime/plugin-chain.ts';
import type { CompiledChain } from './chain.ts';
import {
  checkPluginEntities,
  compileChainState,
  compilePlugins,
  type PluginRuntimeOptions,
  pluginLogs,
  scopeOf,
} from './compile.ts';
import type { ContentChange, EntityContent } from './entity-lookup.ts';
import { type CompiledInstance, compileInstance } from './instance.ts';
import {
  type Bucket,
  ChainBuilder,
  type ChainRoute,
  type ChainState,
  CompiledPlugins,
  NO_BUCKET,
} from './plugins.ts';
import type { PluginInstance } from './precedence.ts';

/** Above this share of the routes, compiling every chain is as cheap as patching. */
const FULL_COMPILE_SHARE = 0.25;
const MIN_PATCH = 64;

const NO_ROUTES: ReadonlyMap<string, ChainRoute> = new Map();

/** Copy-on-write edits of one bucket map. */
class BucketDraft {
  readonly #base: LayeredMap<string, Bucket>;
  readonly #edits = new Map<string, PluginInstance[]>();
  constructor(base: LayeredMap<string, Bucket>) {
    this.#base = base;
  }
  #list(key: string): PluginInstance[] {
    let list = this.#edits.get(key);
    if (list === undefined) {
      list = [...(this.#base.get(key) ?? NO_BUCKET)];
      this.#edits.set(key, list);
    }
    return list;
  }
  remove(key: string, id: string): void {
    const list = this.#list(key);
    const at = list.findIndex((i) => i.id === id);
    if (at !== -1) list.splice(at, 1);
  }
  add(key: string, instance: PluginInstance): void {
    this.#list(key).push(instance);
  }
  done(): LayeredMap<string, Bucket> {
    if (this.#edits.size === 0) return this.#base;
    const edits: [string, Bucket | undefined][] = [];
    for (const [key, list] of this.#edits) edits.push([key, list.length === 0 ? undefined : list]);
    return this.#base.with(edits);
  }
}

/**
 * Patches `previous` with a delta; `content` is the next version's entities, `changes` what the
 * delta changed (any entity type: only plugins and routes touch chains, the rest the lookup).
 */
export function patchPlugins(
  previous: CompiledPlugins,
  content: EntityContent,
  changes: readonly ContentChange[],
  options: PluginRuntimeOptions | undefined,
): CompiledPlugins {
  const sources = (content.get('plugins') ?? new Map()) as ReadonlyMap<string, PluginInstance>;
  const pluginIds = new Set<string>();
  const routeIds = new Set<string>();
  for (const change of changes) {
    if (change.entity === 'plugins') pluginIds.add(change.id);
    else if (change.entity === 'routes') routeIds.add(change.id);
  }
  // First, as a full compile: a configuration this node cannot serve is refused up front.
  const changed: PluginInstance[] = [];
  for (const id of pluginIds) {
    const source = sources.get(id);
    if (source !== undefined) changed.push(source);
  }
  checkPluginEntities(changed, options?.handlers, options?.schemas);
  const db = previous.db.patch(content, changes);
  const state = previous.state;
  const routes = (content.get('routes') ?? NO_ROUTES) as ReadonlyMap<string, ChainRoute>;
  if (options === undefined || (sources.size === 0 && state.sources.size === 0)) {
    return pluginIds.size === 0 && routeIds.size === 0 && db === previous.db
      ? previous
      : new CompiledPlugins(previous.chains, db, 0, state);
  }
  if (pluginIds.size === 0 && routeIds.size === 0) {
    return new CompiledPlugins(previous.chains, db, 0, state);
  }

  // The plugin entities: re-bucketed, the changed ones compiled (each id keeps its cache).
  const byRoute = new BucketDraft(state.byRoute);
  const byService = new BucketDraft(state.byService);
  let everywhere: PluginInstance[] | undefined;
  const sourceEdits: [string, PluginInstance | undefined][] = [];
  const instanceEdits: [string, CompiledInstance | undefined][] = [];
  const touchedRoutes = new Set(routeIds);
  const touchedServices = new Set<string>();
  for (const id of pluginIds) {
    const before = state.sources.get(id);
    const after = sources.get(id);
    for (const [instance, add] of [
      [before, false],
      [after, true],
    ] as const) {
      if (instance === undefined || instance.enabled === false) continue;
      const scope = scopeOf(instance);
      if (scope.route !== undefined) {
        touchedRoutes.add(scope.route);
        if (add) byRoute.add(scope.route, instance);
        else byRoute.remove(scope.route, id);
      } else if (scope.service !== undefined) {
        touchedServices.add(scope.service);
        if (add) byService.add(scope.service, instance);
        else byService.remove(scope.service, id);
      } else {
        everywhere ??= [...state.everywhere];
        if (add) everywhere.push(instance);
        else {
          const at = everywhere.findIndex((i) => i.id === id);
          if (at !== -1) everywhere.splice(at, 1);
        }
      }
    }
    sourceEdits.push([id, after]);
    const running = state.instances.get(id);
    instanceEdits.push([
      id,
      after === undefined || after.enabled === false
        ? undefined
        : compileInstance(after, options.handlers.get(after.name)!, running, options.log),
    ]);
  }
  const instances = state.instances.with(instanceEdits);

  // Every chain reads the global and consumer-only instances; a large delta is cheaper whole.
  if (
    everywhere !== undefined ||
    touchedRoutes.size > Math.max(MIN_PATCH, routes.size * FULL_COMPILE_SHARE)
  ) {
    const next = state.sources.with(sourceEdits);
    const full = compileChainState(next, routes.values(), options, { ...state, instances });
    return new CompiledPlugins(LayeredMap.of(full.chains), db, full.compiled, full.state);
  }

  const builder = new ChainBuilder(options.handlers, instances, pluginLogs(options), options.log);
  const buckets = { everywhere: state.everywhere, byRoute: byRoute.done(), byService: byService.done() };
  let serviceChains = state.serviceChains;
  if (touchedServices.size > 0) {
    const edits: [string, CompiledChain | undefined][] = [];
    for (const serviceId of touchedServices) {
      const list = buckets.byService.get(serviceId);
      edits.push([
        serviceId,
        list === undefined ? undefined : builder.chain([...buckets.everywhere, ...list], '', serviceId),
      ]);
    }
    serviceChains = serviceChains.with(edits);
    // Their routes point at the new service chain, or recompile their own with it.
    for (const route of routes.values()) {
      const serviceId = route.service?.id;
      if (serviceId !== undefined && touchedServices.has(serviceId)) touchedRoutes.add(route.id);
    }
  }
  const next: ChainState = {
    sources: state.sources.with(sourceEdits),
    instances,
    ...buckets,
    shared: state.shared,
    serviceChains,
  };
  const chainEdits: [string, PluginChain | undefined][] = [];
  for (const routeId of touchedRoutes) {
    const route = routes.get(routeId);
    chainEdits.push([routeId, route === undefined ? undefined : builder.routeChain(route, next)]);
  }
  const chains = (previous.chains as LayeredMap<string, PluginChain>).with(chainEdits);
  return new CompiledPlugins(chains, db, builder.compiled, next);
}

/** A full compile when there is nothing to patch (no previous plugins state). */
export function compileOrPatchPlugins(
  previous: CompiledPlugins | undefined,
  routes: () => readonly ChainRoute[],
  content: EntityContent,
  changes: readonly ContentChange[],
  options: PluginRuntimeOptions | undefined,
): CompiledPlugins {
  if (previous === undefined || !(previous.chains instanceof LayeredMap)) {
    return compilePlugins(routes(), content, options, previous);
  }
  return patchPlugins(previous, content, changes, options);
}
