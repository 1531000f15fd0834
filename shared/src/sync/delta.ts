import { ConfigHash } from './config-hash.ts';
import type { ConfigChange, ConfigContent } from './content.ts';
import { LayeredMap } from './layered-map.ts';

export interface AppliedDelta {
  config: ConfigContent;
  hash: string;
}

/**
 * Applies changes in order and returns a new config with its hash, updated entity by entity.
 * Copy-on-write: only the types a change touches get a new inner map, and that map is a
 * LayeredMap sharing every untouched entity with the old one, so a one-entity change costs
 * O(1) however many entities the type holds. The old config stays intact for whoever still
 * uses it (in-flight requests, a Nack's fallback). Deleting an entity that is not there is a
 * no-op (the result's hash then tells whether the two planes agree).
 */
export function applyDelta(
  config: ConfigContent,
  hash: string,
  changes: readonly ConfigChange[],
): AppliedDelta {
  const sum = new ConfigHash(hash);
  /** Per type touched: id → its new value (undefined: deleted), in the order of the changes. */
  const edits = new Map<string, Map<string, unknown>>();
  for (const change of changes) {
    let edit = edits.get(change.entity);
    if (edit === undefined) {
      edit = new Map();
      edits.set(change.entity, edit);
    }
    const old = edit.has(change.id) ? edit.get(change.id) : config.get(change.entity)?.get(change.id);
    if (old !== undefined) sum.remove(change.entity, change.id, old);
    if (change.op === 'upsert') {
      if (change.value === undefined) {
        throw new TypeError(`upsert of ${change.entity} ${change.id} carries no value`);
      }
      edit.set(change.id, change.value);
      sum.add(change.entity, change.id, change.value);
    } else {
      edit.set(change.id, undefined);
    }
  }
  const next = new Map(config);
  for (const [type, edit] of edits) {
    const byId = config.get(type);
    const layered = byId instanceof LayeredMap ? byId : LayeredMap.of(byId ?? new Map());
    const updated = layered.with(edit);
    if (updated.size === 0) next.delete(type);
    else next.set(type, updated);
  }
  return { config: next, hash: sum.hex() };
}
