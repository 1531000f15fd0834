import { ConfigHash } from './config-hash.ts';
import type { ConfigChange, ConfigContent } from './content.ts';

export interface AppliedDelta {
  config: ConfigContent;
  hash: string;
}

/**
 * Applies changes in order and returns a new config with its hash, updated entity by entity.
 * Copy-on-write per entity type: only the types a change touches get a new inner map, so the
 * old config stays intact for whoever still uses it (in-flight requests, a Nack's fallback).
 * Deleting an entity that is not there is a no-op (the result's hash then tells whether the
 * two planes agree).
 */
export function applyDelta(
  config: ConfigContent,
  hash: string,
  changes: readonly ConfigChange[],
): AppliedDelta {
  const next = new Map(config);
  const copied = new Set<string>();
  const sum = new ConfigHash(hash);
  for (const change of changes) {
    let byId = next.get(change.entity) as Map<string, unknown> | undefined;
    if (byId === undefined) {
      if (change.op === 'delete') continue;
      byId = new Map();
      next.set(change.entity, byId);
      copied.add(change.entity);
    } else if (!copied.has(change.entity)) {
      byId = new Map(byId);
      next.set(change.entity, byId);
      copied.add(change.entity);
    }
    if (byId.has(change.id)) sum.remove(change.entity, change.id, byId.get(change.id));
    if (change.op === 'upsert') {
      if (change.value === undefined) {
        throw new TypeError(`upsert of ${change.entity} ${change.id} carries no value`);
      }
      byId.set(change.id, change.value);
      sum.add(change.entity, change.id, change.value);
    } else {
      byId.delete(change.id);
      if (byId.size === 0) next.delete(change.entity);
    }
  }
  return { config: next, hash: sum.hex() };
}
