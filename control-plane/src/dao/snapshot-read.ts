/**
 * What the snapshot builder and `config db_export` read: every entity as stored, secrets
 * decrypted, and the current rows behind a list of changes (for deltas). They take the
 * Queryable to read from, so a caller can read the version and the entities in one snapshot.
 */
import type { EntityName } from '@turnpike/shared/schema';
import type { ConfigChange } from '../store/config-version.ts';
import type { Queryable } from '../store/types.ts';
import { decodeEntity, type KeyringSource } from './codec.ts';
import { ENTITY_NAMES, tableModel } from './model.ts';
import type { EntityRow } from './types.ts';

/** Every entity of every type, in id order; certificates without the virtual `snis` (snis are listed on their own). */
export type EntitySet = { [N in EntityName]: EntityRow[] };

/** One entity's state after a change: `row` undefined when it no longer exists (deleted). */
export interface ChangedEntity {
  readonly entity: EntityName;
  readonly id: string;
  readonly row: EntityRow | undefined;
}

export interface SnapshotReader {
  exportAll(queryable?: Queryable): Promise<EntitySet>;
  /** The current row of each changed entity, once per (entity, id), in first-change order. */
  readChanged(queryable: Queryable, changes: readonly ConfigChange[]): Promise<ChangedEntity[]>;
}

async function readTable(
  q: Queryable,
  name: EntityName,
  keyring: KeyringSource,
  ids?: readonly string[],
): Promise<EntityRow[]> {
  const model = tableModel(name);
  const { rows } = await q.query<{ entity: EntityRow }>(
    ids === undefined
      ? `SELECT entity FROM ${name} ORDER BY id`
      : `SELECT entity FROM ${name} WHERE id = ANY($1::uuid[]) ORDER BY id`,
    ids === undefined ? [] : [ids],
  );
  return (await Promise.all(rows.map((r) => decodeEntity(model, r.entity, keyring)))) as EntityRow[];
}

export async function exportAll(q: Queryable, keyring: KeyringSource): Promise<EntitySet> {
  const set = {} as EntitySet;
  for (const name of ENTITY_NAMES) set[name] = await readTable(q, name, keyring);
  return set;
}

function isEntityName(name: string): name is EntityName {
  return (ENTITY_NAMES as string[]).includes(name);
}

export async function readChanged(
  q: Queryable,
  keyring: KeyringSource,
  changes: readonly ConfigChange[],
): Promise<ChangedEntity[]> {
  const order: { entity: EntityName; id: string }[] = [];
  const byEntity = new Map<EntityName, Set<string>>();
  for (const change of changes) {
    if (!isEntityName(change.entity))
      throw new TypeError(`unknown entity '${change.entity}' in a config change`);
    const ids = byEntity.get(change.entity) ?? new Set<string>();
    if (!ids.has(change.id)) order.push({ entity: change.entity, id: change.id });
    ids.add(change.id);
    byEntity.set(change.entity, ids);
  }
  const found = new Map<string, EntityRow>();
  for (const [entity, ids] of byEntity) {
    for (const row of await readTable(q, entity, keyring, [...ids])) found.set(`${entity}:${row.id}`, row);
  }
  return order.map(({ entity, id }) => ({ entity, id, row: found.get(`${entity}:${id}`) }));
}
