/**
 * The whole configuration of a DB-less node, in memory: one table per entity, rows in id order
 * (as the datastore lists them), indexed by id, endpoint key and unique fields. Built once per
 * declarative file and never changed: a new file builds new tables, swapped in whole, so a read
 * sees one file or the other, never a mix.
 */
import { hashPassword } from '@turnpike/shared';
import type { EntityName } from '@turnpike/shared/schema';
import { ENTITY_NAMES, tableModel } from '../dao/model.ts';
import type { EntitySet } from '../dao/snapshot-read.ts';
import type { EntityRow } from '../dao/types.ts';
import type { DeclarativeConfig } from '../declarative/types.ts';

export interface Table {
  /** In id order, as `ORDER BY id` lists uuids (lower-case hex order). */
  readonly rows: readonly EntityRow[];
  readonly byId: ReadonlyMap<string, EntityRow>;
  /** Per unique or endpoint-key field: value → row. */
  readonly byField: ReadonlyMap<string, ReadonlyMap<string, EntityRow>>;
}

export type Tables = { readonly [N in EntityName]: Table };

/** What hashPassword produces; a value already in this shape (`_transform: false`) is kept. */
const PASSWORD_HASH = /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

function byIdOrder(a: EntityRow, b: EntityRow): number {
  const x = a.id.toLowerCase();
  const y = b.id.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function buildTable(name: EntityName, rows: readonly EntityRow[]): Table {
  const model = tableModel(name);
  const sorted = [...rows].sort(byIdOrder);
  const byId = new Map<string, EntityRow>();
  for (const row of sorted) byId.set(row.id.toLowerCase(), row);
  const keyed = new Set<string>();
  if (model.endpointKey !== undefined) keyed.add(model.endpointKey);
  for (const unique of model.uniques) if (unique.fields.length === 1) keyed.add(unique.fields[0]!);
  const byField = new Map<string, Map<string, EntityRow>>();
  for (const field of keyed) {
    const index = new Map<string, EntityRow>();
    for (const row of sorted) {
      const value = row[field];
      if (typeof value === 'string') index.set(value, row);
    }
    byField.set(field, index);
  }
  return { rows: sorted, byId, byField };
}

/**
 * The rows as the datastore would hold them after `POST /config` on a database: certificates
 * without their virtual `snis` (the snis rows say it), passwords hashed as the DAO hashes them
 * unless the file gives hashes already (Kong's basic-auth transformation).
 */
async function storedRows(name: EntityName, rows: readonly EntityRow[]): Promise<EntityRow[]> {
  const model = tableModel(name);
  if (model.virtual.length === 0 && model.hashed.length === 0) return [...rows];
  return Promise.all(
    rows.map(async (row) => {
      const stored: EntityRow = { ...row };
      for (const field of model.virtual) delete stored[field];
      for (const field of model.hashed) {
        const value = stored[field];
        if (typeof value === 'string' && !PASSWORD_HASH.test(value))
          stored[field] = await hashPassword(value);
      }
      return stored;
    }),
  );
}

export async function buildTables(config: DeclarativeConfig): Promise<Tables> {
  const tables = {} as Record<EntityName, Table>;
  for (const name of ENTITY_NAMES) {
    tables[name] = buildTable(name, await storedRows(name, config.entities[name] ?? []));
  }
  return tables;
}

export const EMPTY_TABLES: Tables = Object.fromEntries(
  ENTITY_NAMES.map((name) => [name, buildTable(name, [])]),
) as unknown as Tables;

/** Every row of every entity, as the snapshot builder reads the datastore. */
export function entitySetOf(tables: Tables): EntitySet {
  const set = {} as EntitySet;
  for (const name of ENTITY_NAMES) set[name] = tables[name].rows as EntityRow[];
  return set;
}
