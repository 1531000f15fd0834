/**
 * Which configured plugin instance applies, with Kong's precedence
 * (kong/runloop/plugins_iterator.lua): for one plugin name exactly one instance applies, the most
 * specific one —
 *   1 consumer+route+service  2 consumer+route  3 consumer+service  4 route+service
 *   5 consumer                6 route           7 service           8 global.
 * Pure: a function of the plugin entities and a route; compiled once per version.
 */

/** A plugins entity as synced; only the fields the runtime reads. */
export interface PluginInstance {
  readonly id: string;
  readonly name: string;
  readonly enabled?: boolean | null;
  readonly route?: { readonly id: string } | null;
  readonly service?: { readonly id: string } | null;
  readonly consumer?: { readonly id: string } | null;
  readonly protocols?: readonly string[] | null;
  readonly config?: Readonly<Record<string, unknown>> | null;
}

/** One plugin's instances for one route: the one without consumer, and the winner per consumer. */
export interface ResolvedPlugin {
  readonly name: string;
  /** The best instance that names no consumer, if any. */
  readonly base: PluginInstance | undefined;
  /** The global instance (no route, service or consumer): the one the rewrite phase runs. */
  readonly global: PluginInstance | undefined;
  /**
   * Per consumer id, the instance that applies once that consumer is authenticated (already
   * compared with `base`). Undefined when no instance of this plugin names a consumer.
   */
  readonly byConsumer: ReadonlyMap<string, PluginInstance> | undefined;
}

/** Kong's rank of an instance for a route (1 best), or 0 when it does not apply to the route. */
export function precedenceRank(
  instance: PluginInstance,
  routeId: string,
  serviceId: string | undefined,
): number {
  const route = instance.route?.id;
  const service = instance.service?.id;
  if (route !== undefined && route !== routeId) return 0;
  if (service !== undefined && service !== serviceId) return 0;
  const consumer = instance.consumer?.id !== undefined;
  if (route !== undefined && service !== undefined) return consumer ? 1 : 4;
  if (route !== undefined) return consumer ? 2 : 6;
  if (service !== undefined) return consumer ? 3 : 7;
  return consumer ? 5 : 8;
}

/** Resolves every plugin that may apply to a route; `enabled: false` instances are ignored, as Kong does. */
export function resolveRoutePlugins(
  instances: readonly PluginInstance[],
  routeId: string,
  serviceId: string | undefined,
): ResolvedPlugin[] {
  interface Best {
    base?: PluginInstance;
    baseRank: number;
    global?: PluginInstance;
    consumers?: Map<string, { instance: PluginInstance; rank: number }>;
  }
  const byName = new Map<string, Best>();
  for (const instance of instances) {
    if (instance.enabled === false) continue;
    const rank = precedenceRank(instance, routeId, serviceId);
    if (rank === 0) continue;
    let best = byName.get(instance.name);
    if (best === undefined) {
      best = { baseRank: 9 };
      byName.set(instance.name, best);
    }
    const consumer = instance.consumer?.id;
    if (consumer === undefined) {
      if (rank < best.baseRank) {
        best.base = instance;
        best.baseRank = rank;
      }
      if (rank === 8) best.global = instance;
      continue;
    }
    best.consumers ??= new Map();
    const current = best.consumers.get(consumer);
    if (current === undefined || rank < current.rank) best.consumers.set(consumer, { instance, rank });
  }
  const resolved: ResolvedPlugin[] = [];
  for (const [name, best] of byName) {
    let byConsumer: Map<string, PluginInstance> | undefined;
    if (best.consumers !== undefined) {
      byConsumer = new Map();
      for (const [consumer, { instance, rank }] of best.consumers) {
        // A consumer-only instance (5) loses to a route+service one (4).
        const winner = rank < best.baseRank ? instance : best.base;
        if (winner !== undefined) byConsumer.set(consumer, winner);
      }
    }
    resolved.push({ name, base: best.base, global: best.global, byConsumer });
  }
  return resolved;
}
