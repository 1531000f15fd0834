/**
 * The configuration content model shared by both planes: entity type (Kong's Admin API name,
 * opaque here) → entity id → the entity as plain JSON. Maps are treated as immutable once
 * published: a new version is a new outer map that shares every untouched inner map.
 */
export type ConfigContent = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

/** One entity inserted/replaced (`upsert`, with its value) or removed (`delete`). */
export interface ConfigChange {
  entity: string;
  id: string;
  op: 'upsert' | 'delete';
  /** The entity as JSON; required for upsert, ignored for delete. */
  value?: unknown;
}

/** What turned version `fromVersion` into the version it is attached to, change by change. */
export interface ConfigDelta {
  fromVersion: number;
  changes: readonly ConfigChange[];
}

/** A configuration at one version, with the hash of its whole content. */
export interface VersionedConfig {
  version: number;
  hash: string;
  config: ConfigContent;
}

export const EMPTY_CONFIG: ConfigContent = new Map();

/** Builds a config from `{ type: [entity…] }`, keying each entity by its `id` field. */
export function configFromEntities(entities: Readonly<Record<string, readonly unknown[]>>): ConfigContent {
  const config = new Map<string, Map<string, unknown>>();
  for (const [type, list] of Object.entries(entities)) {
    const byId = new Map<string, unknown>();
    for (const entity of list) byId.set(entityId(type, entity), entity);
    config.set(type, byId);
  }
  return config;
}

/** The `id` an entity carries; every entity in a payload is keyed by it. */
export function entityId(type: string, entity: unknown): string {
  const id = (entity as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') {
    throw new TypeError(`an entity of type ${JSON.stringify(type)} has no string id`);
  }
  return id;
}

/** How many entities the config holds, over all types. */
export function entityCount(config: ConfigContent): number {
  let n = 0;
  for (const byId of config.values()) n += byId.size;
  return n;
}

/**
 * The config with every inner map a plain Map: what structured clone (the workers' IPC) can
 * carry. applyDelta's inner maps are LayeredMaps, whose state a clone would lose. O(entities).
 */
export function plainConfig(config: ConfigContent): Map<string, Map<string, unknown>> {
  const plain = new Map<string, Map<string, unknown>>();
  for (const [type, byId] of config) plain.set(type, byId instanceof Map ? byId : new Map(byId));
  return plain;
}
