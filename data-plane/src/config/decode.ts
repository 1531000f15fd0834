/**
 * The one decoder of synced entities: what arrives from the sync stream or the cache file is
 * `unknown` until checked here (`./shape.ts`), and typed after — the shared schema's types, as
 * `SyncedEntity<type>`. A failure throws SyncedEntityError naming type, id and field; the
 * version is then refused (Nack) and the running one kept.
 *
 * A whole configuration is checked entity by entity; a delta only in what it changed, so a
 * one-route delta costs one route's check however large the configuration. Given a
 * VaultResolver, each checked entity then gets its vault references resolved (copy on write):
 * the decoded view holds the secrets, the synced content the references.
 */

import { SyncedEntityError } from '@turnpike/shared';
import { type EntityName, isEntityName, type SyncedEntity } from '@turnpike/shared/schema';
import { type ConfigChange, type ConfigContent, LayeredMap } from '@turnpike/shared/sync';
import { ShapeFailure, shapeCheck } from './shape.ts';
import type { VaultResolver } from './vault-references.ts';

/** A configuration whose every entity passed the decoder: reads are typed by entity type. */
export interface SyncedContent extends ConfigContent {
  get<N extends EntityName>(type: N): ReadonlyMap<string, SyncedEntity<N>> | undefined;
  get(type: string): ReadonlyMap<string, unknown> | undefined;
}

export const EMPTY_SYNCED: SyncedContent = new Map() as SyncedContent;

function entityType(type: string, id: string | undefined): EntityName {
  if (isEntityName(type)) return type;
  throw new SyncedEntityError(type, id, '', 'this data plane knows no such entity type');
}

/**
 * One entity, checked; the same object unless a required field was absent and got its default,
 * or a vault reference was resolved.
 */
export function decodeEntity<N extends EntityName>(
  type: N,
  id: string,
  value: unknown,
  vaults?: VaultResolver,
): SyncedEntity<N> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SyncedEntityError(type, id, '', 'expected an object');
  }
  const entity = value as Record<string, unknown>;
  if (entity.id !== id) throw new SyncedEntityError(type, id, 'id', `does not match its key ${id}`);
  let checked: Record<string, unknown>;
  try {
    checked = shapeCheck(type)(entity) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ShapeFailure) throw new SyncedEntityError(type, id, error.field, error.reason);
    throw error;
  }
  return (vaults === undefined ? checked : vaults.resolve(type, id, checked)) as SyncedEntity<N>;
}

/** Every entity of a configuration; the same Map unless some entity was completed. */
export function decodeContent(content: ConfigContent, vaults?: VaultResolver): SyncedContent {
  let decoded: Map<string, ReadonlyMap<string, unknown>> | undefined;
  for (const [type, byId] of content) {
    if (byId.size === 0) continue;
    const name = entityType(type, undefined);
    let completed: Map<string, unknown> | undefined;
    for (const [id, value] of byId) {
      const entity = decodeEntity(name, id, value, vaults);
      if (entity === value) continue;
      completed ??= new Map(byId);
      completed.set(id, entity);
    }
    if (completed === undefined) continue;
    decoded ??= new Map(content);
    decoded.set(type, completed);
  }
  // Every entity was checked above: this is the one place the content becomes typed.
  return (decoded ?? content) as SyncedContent;
}

/** A decoded configuration and the content as synced (whose hash deltas build on). */
export interface DecodedConfig {
  readonly content: ConfigContent;
  readonly synced: SyncedContent;
}

/**
 * The next version after a delta: `next` is `previous.content` with `changes` applied (by
 * `applyDelta`, which checked the hash); only the changed entities are decoded.
 */
export function decodeChanges(
  previous: DecodedConfig,
  next: ConfigContent,
  changes: readonly ConfigChange[],
  vaults?: VaultResolver,
): DecodedConfig {
  const edits = new Map<string, Map<string, unknown>>();
  let completed = false;
  for (const change of changes) {
    const name = entityType(change.entity, change.id);
    let edit = edits.get(name);
    if (edit === undefined) {
      edit = new Map();
      edits.set(name, edit);
    }
    if (change.op === 'delete') {
      edit.set(change.id, undefined);
      continue;
    }
    const entity = decodeEntity(name, change.id, change.value, vaults);
    if (entity !== change.value) completed = true;
    edit.set(change.id, entity);
  }
  if (!completed && previous.synced === previous.content) {
    return { content: next, synced: next as SyncedContent };
  }
  // The decoded view differs from the synced content: it takes the same edits, in O(changes).
  const view = new Map<string, ReadonlyMap<string, unknown>>(previous.synced);
  for (const [type, edit] of edits) {
    const byId = previous.synced.get(type);
    const updated = (byId instanceof LayeredMap ? byId : LayeredMap.of(byId ?? new Map())).with(edit);
    if (updated.size === 0) view.delete(type);
    else view.set(type, updated);
  }
  return { content: next, synced: view as SyncedContent };
}
