/**
 * Compiles the plugins of one configuration version in full: per route, the plugins that apply
 * (Kong's precedence), ordered by priority (higher first). Routes that no plugin applies to get
 * no chain at all, so the proxy keeps its fast path for them. Chains are compiled per
 * combination, not per route: one shared by the routes no route- or service-scoped instance
 * names, one per service with instances, one per route an instance names. A delta patches the
 * result (./patch.ts) instead of coming here.
 */

import type { PluginHandler, Logger as PluginLogger } from '@turnpike/plugin-sdk';
import { ConfigInvalidError, describeFields, type Logger, SchemaViolationError } from '@turnpike/shared';
import { type PluginSchemaLookup, validateEntity } from '@turnpike/shared/schema';
import { LayeredMap } from '@turnpike/shared/sync';
import type { PluginChain } from '../runtime/plugin-chain.ts';
import type { CompiledChain } from './chain.ts';
import { compileEntityLookup, type EntityContent } from './entity-lookup.ts';
import { type CompiledInstance, compileInstance } from './instance.ts';
import {
  type Bucket,
  ChainBuilder,
  type ChainRoute,
  type ChainState,
  CompiledPlugins,
  emptyState,
  NO_BUCKET,
} from './plugins.ts';
import type { PluginInstance } from './precedence.ts';

export type { ChainRoute } from './plugins.ts';

/** What the data plane loaded: handlers by plugin name (the loader's answer). */
export interface PluginRuntimeOptions {
  readonly handlers: ReadonlyMap<string, PluginHandler>;
  /**
   * This node's plugin schemas: a plugin's config is validated again here, since the data plane
   * may run another version of a (custom) plugin than the control plane that accepted it.
   */
  readonly schemas?: PluginSchemaLookup;
  readonly log: Logger;
}

/** Child loggers per plugin name: made once per worker, whatever the version. */
const logsByOptions = new WeakMap<PluginRuntimeOptions, Map<string, PluginLogger>>();
export function pluginLogs(options: PluginRuntimeOptions): Map<string, PluginLogger> {
  let logs = logsByOptions.get(options);
  if (logs === undefined) {
    logs = new Map();
    logsByOptions.set(options, logs);
  }
  return logs;
}

/**
 * Refuses plugin entities this node cannot run: an enabled one it has no handler for ("… plugin
 * is in use but not enabled", Kong's words), or one whose config this node's schema rejects.
 */
export function checkPluginEntities(
  entities: Iterable<PluginInstance>,
  handlers: ReadonlyMap<string, PluginHandler> | undefined,
  schemas?: PluginSchemaLookup,
): void {
  const list = [...entities];
  const missing = new Set<string>();
  for (const instance of list) {
    if (instance.enabled !== false && handlers?.has(instance.name) !== true) missing.add(instance.name);
  }
  if (missing.size > 0) {
    throw new ConfigInvalidError(
      [...missing].map((name) => ({
        key: 'plugins',
        source: 'the synced configuration',
        message: `${name} plugin is in use but not enabled`,
      })),
    );
  }
  if (schemas === undefined) return;
  for (const instance of list) {
    const result = validateEntity('plugins', instance as unknown as Record<string, unknown>, {
      operation: 'upsert',
      pluginSchemas: schemas,
    });
    if (!result.ok) {
      throw new SchemaViolationError(
        result.fields,
        `plugin '${instance.name}' (${instance.id}): ${describeFields(result.fields)}`,
      );
    }
  }
}

/** The plugin entities of a version, refused as checkPluginEntities says. */
export function pluginInstancesOf(
  content: EntityContent | undefined,
  handlers: ReadonlyMap<string, PluginHandler> | undefined,
  schemas?: PluginSchemaLookup,
): PluginInstance[] {
  const instances = [...(content?.get('plugins')?.values() ?? [])] as PluginInstance[];
  checkPluginEntities(instances, handlers, schemas);
  return instances;
}

function push(map: Map<string, PluginInstance[]>, key: string, instance: PluginInstance): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [instance]);
  else list.push(instance);
}

/** Where an enabled instance is bucketed: by its route, else its service, else everywhere. */
export function scopeOf(instance: PluginInstance): { route?: string; service?: string } {
  const route = instance.route?.id;
  if (route !== undefined) return { route };
  const service = instance.service?.id;
  return service === undefined ? {} : { service };
}

/**
 * The chain state of a whole version. `previous` (the running version) lends what did not change:
 * an instance compiled from the very same entity object is kept (its configure is not run again,
 * its config is not validated again), and every instance id keeps its cache.
 */
export function compileChainState(
  sources: ReadonlyMap<string, PluginInstance>,
  routes: Iterable<ChainRoute>,
  options: PluginRuntimeOptions,
  previous: ChainState | undefined,
): { state: ChainState; chains: Map<string, PluginChain>; compiled: number } {
  const instances = new Map<string, CompiledInstance>();
  const everywhere: PluginInstance[] = [];
  const byRoute = new Map<string, PluginInstance[]>();
  const byService = new Map<string, PluginInstance[]>();
  for (const source of sources.values()) {
    if (source.enabled === false) continue;
    const before = previous?.instances.get(source.id);
    instances.set(
      source.id,
      before?.source === source
        ? before
        : compileInstance(source, options.handlers.get(source.name)!, before, options.log),
    );
    const scope = scopeOf(source);
    if (scope.route !== undefined) push(byRoute, scope.route, source);
    else if (scope.service !== undefined) push(byService, scope.service, source);
    else everywhere.push(source);
  }
  const builder = new ChainBuilder(options.handlers, instances, pluginLogs(options), options.log);
  const shared = everywhere.length === 0 ? undefined : builder.chain(everywhere, '', undefined);
  const serviceChains = new Map<string, CompiledChain>();
  for (const [serviceId, list] of byService) {
    const chain = builder.chain([...everywhere, ...list], '', serviceId);
    if (chain !== undefined) serviceChains.set(serviceId, chain);
  }
  const state: ChainState = {
    sources: LayeredMap.of(new Map(sources)),
    instances: LayeredMap.of(instances),
    everywhere: everywhere.length === 0 ? NO_BUCKET : everywhere,
    byRoute: LayeredMap.of(byRoute as Map<string, Bucket>),
    byService: LayeredMap.of(byService as Map<string, Bucket>),
    shared,
    serviceChains: LayeredMap.of(serviceChains),
  };
  const chains = new Map<string, PluginChain>();
  for (const route of routes) {
    const chain = builder.routeChain(route, state);
    if (chain !== undefined) chains.set(route.id, chain);
  }
  return { state, chains, compiled: builder.compiled };
}

/**
 * Compiles every route's chain and the version's entity lookup. `content` is the version's synced
 * entities (plugins, consumers, credentials…); `previous`, the running version's plugins, lends
 * unchanged instances and the caches (see compileChainState).
 */
export function compilePlugins(
  routes: readonly ChainRoute[],
  content: EntityContent | undefined,
  options: PluginRuntimeOptions | undefined,
  previous?: CompiledPlugins,
): CompiledPlugins {
  const sources = (content?.get('plugins') ?? new Map()) as ReadonlyMap<string, PluginInstance>;
  const known = previous?.state.sources;
  // What the running version already checked is the same object here: only the rest is checked.
  const fresh =
    known === undefined ? sources.values() : [...sources.values()].filter((s) => known.get(s.id) !== s);
  checkPluginEntities(fresh, options?.handlers, options?.schemas);
  const db = compileEntityLookup(content);
  if (options === undefined || sources.size === 0) {
    return new CompiledPlugins(LayeredMap.of(), db, 0, emptyState());
  }
  const { state, chains, compiled } = compileChainState(sources, routes, options, previous?.state);
  return new CompiledPlugins(LayeredMap.of(chains), db, compiled, state);
}

/** The chains alone, by route id (tests and tools). */
export function compilePluginChains(
  routes: readonly ChainRoute[],
  content: EntityContent | undefined,
  options: PluginRuntimeOptions | undefined,
): ReadonlyMap<string, PluginChain> {
  return compilePlugins(routes, content, options).chains;
}

/** A version without compiled chains (they were handed in whole): its entity lookup only. */
export function lookupOnly(content: EntityContent | undefined): CompiledPlugins {
  return new CompiledPlugins(LayeredMap.of(), compileEntityLookup(content), 0, emptyState());
}
