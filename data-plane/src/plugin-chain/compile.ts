/**
 * Compiles the plugin chains of one configuration version: per route, the plugins that apply
 * (Kong's precedence), ordered by priority (higher first). Routes that no plugin applies to get
 * no chain at all, so the proxy keeps its fast path for them.
 */

import type { PluginHandler } from '@turnpike/plugin-sdk';
import { ConfigInvalidError, describeFields, type Logger, SchemaViolationError } from '@turnpike/shared';
import { type PluginSchemaLookup, validateEntity } from '@turnpike/shared/schema';
import type { PluginChain } from '../runtime/plugin-chain.ts';
import { type ChainEntry, CompiledChain } from './chain.ts';
import { compileEntityLookup, type EntityContent } from './entity-lookup.ts';
import { type CompiledInstance, compileInstance } from './instance.ts';
import { type PluginInstance, type ResolvedPlugin, resolveRoutePlugins } from './precedence.ts';

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

/** A route as the chain compiler needs it. */
export interface ChainRoute {
  readonly id: string;
  readonly service?: { readonly id: string } | null;
}

/**
 * The plugin entities of a version, refusing any enabled one this node has no handler for, or
 * whose config this node's schema of that plugin rejects.
 */
export function pluginInstancesOf(
  content: EntityContent | undefined,
  handlers: ReadonlyMap<string, PluginHandler> | undefined,
  schemas?: PluginSchemaLookup,
): PluginInstance[] {
  const instances = [...(content?.get('plugins')?.values() ?? [])] as PluginInstance[];
  const missing = new Set<string>();
  for (const instance of instances) {
    if (instance.enabled !== false && handlers?.has(instance.name) !== true) missing.add(instance.name);
  }
  if (schemas !== undefined && missing.size === 0) {
    for (const instance of instances) {
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
  if (missing.size > 0) {
    throw new ConfigInvalidError(
      [...missing].map((name) => ({
        key: 'plugins',
        source: 'the synced configuration',
        message: `${name} plugin is in use but not enabled`,
      })),
    );
  }
  return instances;
}

function hasPhase(handler: PluginHandler): boolean {
  return (
    handler.rewrite !== undefined ||
    handler.access !== undefined ||
    handler.header !== undefined ||
    handler.body !== undefined ||
    handler.log !== undefined
  );
}

/** Instances bucketed by scope, so a route only looks at the ones that may apply to it. */
interface Buckets {
  /** No route and no service (global and consumer-only): may apply to every route. */
  readonly everywhere: PluginInstance[];
  readonly byRoute: Map<string, PluginInstance[]>;
  readonly byService: Map<string, PluginInstance[]>;
}

function push(map: Map<string, PluginInstance[]>, key: string, instance: PluginInstance): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [instance]);
  else list.push(instance);
}

function bucket(instances: readonly PluginInstance[]): Buckets {
  const buckets: Buckets = { everywhere: [], byRoute: new Map(), byService: new Map() };
  for (const instance of instances) {
    if (instance.enabled === false) continue;
    const route = instance.route?.id;
    const service = instance.service?.id;
    if (route !== undefined) push(buckets.byRoute, route, instance);
    else if (service !== undefined) push(buckets.byService, service, instance);
    else buckets.everywhere.push(instance);
  }
  return buckets;
}

/**
 * Compiles every route's chain. `content` is the version's synced entities (plugins, consumers,
 * credentials…); the chains share one entity lookup and one cache per plugin.
 */
export function compilePluginChains(
  routes: readonly ChainRoute[],
  content: EntityContent | undefined,
  options: PluginRuntimeOptions | undefined,
): Map<string, PluginChain> {
  const chains = new Map<string, PluginChain>();
  const instances = pluginInstancesOf(content, options?.handlers, options?.schemas);
  if (instances.length === 0 || options === undefined) return chains;
  const db = compileEntityLookup(content);
  const compiled = new Map<string, CompiledInstance>();
  const logs = new Map<string, Logger>();
  const instanceOf = (i: PluginInstance | undefined): CompiledInstance | undefined => {
    if (i === undefined) return undefined;
    let c = compiled.get(i.id);
    if (c === undefined) {
      c = compileInstance(i, options.handlers.get(i.name)!, undefined, options.log);
      compiled.set(i.id, c);
    }
    return c;
  };
  const entryOf = (resolved: ResolvedPlugin): ChainEntry => {
    const handler = options.handlers.get(resolved.name)!;
    let log = logs.get(resolved.name);
    if (log === undefined) {
      log = options.log.child({ plugin: resolved.name });
      logs.set(resolved.name, log);
    }
    let byConsumer: Map<string, CompiledInstance> | undefined;
    if (resolved.byConsumer !== undefined) {
      byConsumer = new Map();
      for (const [consumer, instance] of resolved.byConsumer) byConsumer.set(consumer, instanceOf(instance)!);
    }
    return {
      name: resolved.name,
      handler,
      base: instanceOf(resolved.base),
      global: instanceOf(resolved.global),
      byConsumer,
      log,
    };
  };
  const chainOf = (candidates: readonly PluginInstance[], routeId: string, serviceId: string | undefined) => {
    // A handler without any phase (prometheus: the node's metrics do its work) adds nothing to a chain.
    const resolved = resolveRoutePlugins(candidates, routeId, serviceId).filter((r) =>
      hasPhase(options.handlers.get(r.name)!),
    );
    if (resolved.length === 0) return undefined;
    const entries = resolved.map(entryOf);
    // Higher priority first; equal priorities by name, so the order never depends on the input's.
    entries.sort((a, b) => b.handler.priority - a.handler.priority || (a.name < b.name ? -1 : 1));
    return new CompiledChain(entries, db);
  };

  const buckets = bucket(instances);
  // Routes no route- or service-scoped instance names share one chain.
  const shared = buckets.everywhere.length === 0 ? undefined : chainOf(buckets.everywhere, '', undefined);
  for (const route of routes) {
    const serviceId = route.service?.id ?? undefined;
    const own = buckets.byRoute.get(route.id);
    const ofService = serviceId === undefined ? undefined : buckets.byService.get(serviceId);
    if (own === undefined && ofService === undefined) {
      if (shared !== undefined) chains.set(route.id, shared);
      continue;
    }
    const chain = chainOf([...buckets.everywhere, ...(own ?? []), ...(ofService ?? [])], route.id, serviceId);
    if (chain !== undefined) chains.set(route.id, chain);
  }
  return chains;
}
