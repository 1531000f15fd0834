/**
 * importDeclarative: writes a parsed DeclarativeConfig through the DAO in one transaction
 * (everything or nothing; the config version bumps once).
 *
 * - `upsert` (default) is Kong's `kong config db_import` (declarative/import.lua load_into_db):
 *   every entity is upserted by id, parents first; what the file does not name is kept.
 * - `replace` is `POST /config`: the database ends up holding exactly the file. Rows the file
 *   does not name are deleted (children first) before the upserts, so a name can move from an
 *   old entity to a new one.
 */
import type { EntityName } from '@turnpike/shared/schema';
import type { Dao, EntityRow } from '../dao/types.ts';
import { foreignFields, WRITE_ORDER } from './relations.ts';
import type { DeclarativeConfig } from './types.ts';

export type ImportMode = 'upsert' | 'replace';

/** Where an import stands: entities written so far out of `total` (the file's count). */
export interface ImportProgress {
  readonly done: number;
  readonly total: number;
  /** The type being written. */
  readonly entity: EntityName;
}

export interface ImportOptions {
  readonly mode?: ImportMode;
  /** Called after each batch of upserts (and once at the start, with done 0). */
  readonly onProgress?: (progress: ImportProgress) => void;
}

/** Entities upserted per DAO call: a few statements each, and a progress step. */
export const IMPORT_BATCH = 500;

export interface ImportSummary {
  /** Entities written, per type. */
  readonly upserted: { readonly [N in EntityName]?: number };
  /** Entities deleted (replace only), per type, cascades not counted. */
  readonly deleted: { readonly [N in EntityName]?: number };
}

async function allRows(dao: Dao, entity: EntityName): Promise<EntityRow[]> {
  const rows: EntityRow[] = [];
  let offset: string | undefined;
  do {
    const page = await dao.entity(entity).list({ size: 1000, ...(offset === undefined ? {} : { offset }) });
    rows.push(...page.data);
    offset = page.offset;
  } while (offset !== undefined);
  return rows;
}

function referencedId(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string'
    ? (value as { id: string }).id
    : undefined;
}

/** Deletes what the file does not name; returns the counts. */
async function removeAbsent(
  dao: Dao,
  wanted: Map<EntityName, Set<string>>,
): Promise<ImportSummary['deleted']> {
  const existing = new Map<EntityName, EntityRow[]>();
  for (const entity of WRITE_ORDER) existing.set(entity, await allRows(dao, entity));
  const keep = (entity: EntityName, id: string) => wanted.get(entity)?.has(id) === true;

  // A kept row still pointing (without cascade) at a row about to go would block its delete:
  // unlink it first; the upsert that follows sets the reference the file gives.
  for (const [entity, rows] of existing) {
    const restricting = foreignFields(entity).filter((f) => !f.cascade);
    for (const row of rows) {
      if (!keep(entity, row.id)) continue;
      const unlink: Record<string, null> = {};
      for (const fk of restricting) {
        const target = referencedId(row[fk.field]);
        if (target !== undefined && !keep(fk.reference, target)) unlink[fk.field] = null;
      }
      if (Object.keys(unlink).length > 0) await dao.entity(entity).update(row.id, unlink);
    }
  }

  const deleted: Partial<Record<EntityName, number>> = {};
  for (const entity of [...WRITE_ORDER].reverse()) {
    for (const row of existing.get(entity) ?? []) {
      if (keep(entity, row.id)) continue;
      await dao.entity(entity).delete(row.id);
      deleted[entity] = (deleted[entity] ?? 0) + 1;
    }
  }
  return deleted;
}

/** The row as the DAO's PUT takes it: updated_at is the DAO's to set. */
function upsertInput(row: EntityRow): Record<string, unknown> & { id: string } {
  const { updated_at: _ignored, ...input } = row;
  return input;
}

export function importDeclarative(
  dao: Dao,
  config: DeclarativeConfig,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  return dao.transaction(async (tx) => {
    const wanted = new Map<EntityName, Set<string>>();
    for (const entity of WRITE_ORDER) wanted.set(entity, new Set(config.entities[entity].map((r) => r.id)));
    const deleted = options.mode === 'replace' ? await removeAbsent(tx, wanted) : {};
    const upserted: Partial<Record<EntityName, number>> = {};
    const total = WRITE_ORDER.reduce((n, entity) => n + config.entities[entity].length, 0);
    let done = 0;
    const first = WRITE_ORDER.find((entity) => config.entities[entity].length > 0);
    if (first !== undefined) options.onProgress?.({ done, total, entity: first });
    for (const entity of WRITE_ORDER) {
      const rows = config.entities[entity];
      for (let i = 0; i < rows.length; i += IMPORT_BATCH) {
        const batch = rows.slice(i, i + IMPORT_BATCH);
        await tx.entity(entity).upsertMany(batch.map(upsertInput));
        done += batch.length;
        options.onProgress?.({ done, total, entity });
      }
      if (rows.length > 0) upserted[entity] = rows.length;
    }
    return { upserted, deleted };
  });
}
