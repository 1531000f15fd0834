/**
 * The plugins of one configuration version as compiled: the chain of each route, the entity
 * lookup plugins read (`ctx.db`), and what the next version's patch builds on — the plugin
 * entities by id, their compiled instances, the instances bucketed by scope, the chains shared
 * by routes (the global one, one per service). All of it immutable: a patch shares what it did
 * not touch (LayeredMap) and leaves this version intact for the Runtime still serving it.
 */

import type { Logger, PluginHandler } from '@turnpike/plugin-sdk';
import type { Logger as NodeLogger } from '@turnpike/shared';
import { LayeredMap } from '@turnpike/shared/sync';
import type { PluginChain, PluginVersion } from '../runtime/plugin-chain.ts';
import { type ChainEntry, CompiledChain } from './chain.ts';
import type { EntityIndex } from './entity-lookup.ts';
import type { CompiledInstance } from './instance.ts';
import { type PluginInstance, type ResolvedPlugin, resolveRoutePlugins } from './precedence.ts';

export type Bucket = readonly PluginInstance[];

/** What a patch builds on. */
export interface ChainState {
  /** Every plugins entity of the version (enabled or not), by id: a delta's old scope. */
  readonly sources: LayeredMap<string, PluginInstance>;
  /** The enabled ones, compiled. */
  readonly instances: LayeredMap<string, CompiledInstance>;
  /** Enabled instances naming no route and no service (global, consumer-only): every route's. */
  readonly everywhere: Bucket;
  readonly byRoute: LayeredMap<string, Bucket>;
  /** Instances naming a service and no route. */
  readonly byService: LayeredMap<string, Bucket>;
  /** The chain of routes that no route- or service-scoped instance names. */
  readonly shared: CompiledChain | undefined;
  /** Per service with instances: the chain of its routes that no route-scoped instance names. */
  readonly serviceChains: LayeredMap<string, CompiledChain>;
}

export class CompiledPlugins implements PluginVersion {
  /** By route id; routes no plugin applies to are absent. */
  readonly chains: ReadonlyMap<string, PluginChain>;
  readonly db: EntityIndex;
  /** How many chains this version's compile (or patch) resolved: what a delta cost. */
  readonly compiledChains: number;
  readonly state: ChainState;

  constructor(
    chains: ReadonlyMap<string, PluginChain>,
    db: EntityIndex,
    compiledChains: number,
    state: ChainState,
  ) {
    this.chains = chains;
    this.db = db;
    this.compiledChains = compiledChains;
    this.state = state;
  }
}

export const NO_BUCKET: Bucket = Object.freeze([]);

export function emptyState(): ChainState {
  return {
    sources: LayeredMap.of(),
    instances: LayeredMap.of(),
    everywhere: NO_BUCKET,
    byRoute: LayeredMap.of(),
    byService: LayeredMap.of(),
    shared: undefined,
    serviceChains: LayeredMap.of(),
  };
}

/** A route as the chain compiler needs it. */
export interface ChainRoute {
  readonly id: string;
  readonly service?: { readonly id: string } | null;
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

/** The child logger of plugin `name` (made once per name in `logs`): what its phases log with. */
export function pluginLog(logs: Map<string, Logger>, log: NodeLogger, name: string): Logger {
  let found = logs.get(name);
  if (found === undefined) {
    found = log.child({ plugin: name });
    logs.set(name, found);
  }
  return found;
}

/** Builds chains from compiled instances, counting them. One per compile or patch. */
export class ChainBuilder {
  compiled = 0;
  readonly #handlers: ReadonlyMap<string, PluginHandler>;
  readonly #instances: ReadonlyMap<string, CompiledInstance>;
  readonly #logs: Map<string, Logger>;
  readonly #log: NodeLogger;

  constructor(
    handlers: ReadonlyMap<string, PluginHandler>,
    instances: ReadonlyMap<string, CompiledInstance>,
    logs: Map<string, Logger>,
    log: NodeLogger,
  ) {
    this.#handlers = handlers;
    this.#instances = instances;
    this.#logs = logs;
    this.#log = log;
  }

  #instance(source: PluginInstance | undefined): CompiledInstance | undefined {
    return source === undefined ? undefined : this.#instances.get(source.id);
  }

  #entry(resolved: ResolvedPlugin): ChainEntry {
    const log = pluginLog(this.#logs, this.#log, resolved.name);
    let byConsumer: Map<string, CompiledInstance> | undefined;
    if (resolved.byConsumer !== undefined) {
      byConsumer = new Map();
      for (const [consumer, source] of resolved.byConsumer) byConsumer.set(consumer, this.#instance(source)!);
    }
    return {
      name: resolved.name,
      handler: this.#handlers.get(resolved.name)!,
      base: this.#instance(resolved.base),
      global: this.#instance(resolved.global),
      byConsumer,
      log,
    };
  }

  /** The chain of the candidates that apply to `routeId` on `serviceId` (Kong's precedence), by priority. */
  chain(candidates: readonly PluginInstance[], routeId: string, serviceId: string | undefined) {
    this.compiled++;
    // A handler without any phase (prometheus: the node's metrics do its work) adds nothing to a chain.
    const resolved = resolveRoutePlugins(candidates, routeId, serviceId).filter((r) =>
      hasPhase(this.#handlers.get(r.name)!),
    );
    if (resolved.length === 0) return undefined;
    const entries = resolved.map((r) => this.#entry(r));
    // Higher priority first; equal priorities by name, so the order never depends on the input's.
    entries.sort((a, b) => b.handler.priority - a.handler.priority || (a.name < b.name ? -1 : 1));
    return new CompiledChain(entries);
  }

  /** A route's chain: its own when an instance names it, else its service's, else the shared one. */
  routeChain(
    route: ChainRoute,
    state: Pick<ChainState, 'everywhere' | 'byRoute' | 'byService' | 'shared' | 'serviceChains'>,
  ): CompiledChain | undefined {
    const serviceId = route.service?.id ?? undefined;
    const own = state.byRoute.get(route.id);
    if (own !== undefined) {
      const ofService = serviceId === undefined ? NO_BUCKET : (state.byService.get(serviceId) ?? NO_BUCKET);
      return this.chain([...state.everywhere, ...own, ...ofService], route.id, serviceId);
    }
    if (serviceId !== undefined && state.byService.has(serviceId)) return state.serviceChains.get(serviceId);
    return state.shared;
  }
}
