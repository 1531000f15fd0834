/**
 * exportDeclarative: the database as a declarative file, as `kong config db_export` writes it
 * (declarative/export.lua): `_format_version: "3.0"`, `_transform: false`, one flat collection
 * per entity type, parents first, foreign keys as ids, secrets in clear (it is a backup).
 *
 * Deliberate differences, so that export → import → export is byte-for-byte stable:
 * `updated_at` is left out (an import necessarily sets it), rows are sorted by endpoint key then
 * id, and every object's keys are sorted.
 */
import type { EntityName } from '@turnpike/shared/schema';
import { stringify } from 'yaml';
import type { EntitySet, SnapshotReader } from '../dao/snapshot-read.ts';
import type { Dao, EntityRow } from '../dao/types.ts';
import { definitionOf, ENTITY_NAMES, foreignFields, WRITE_ORDER } from './relations.ts';
import { FORMAT_VERSION } from './types.ts';

export type ExportFormat = 'yaml' | 'json';

export interface ExportOptions {
  readonly format?: ExportFormat;
}

const OMITTED = new Set(['updated_at']);

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

function sortKey(entity: EntityName, row: EntityRow): string {
  const key = definitionOf(entity).endpoint_key;
  const value = key === undefined ? undefined : row[key];
  return typeof value === 'string' ? value : '';
}

function exportRow(entity: EntityName, row: EntityRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const foreign = new Set(foreignFields(entity).map((f) => f.field));
  for (const [key, value] of Object.entries(row)) {
    if (OMITTED.has(key)) continue;
    const id =
      foreign.has(key) && typeof value === 'object' && value !== null
        ? (value as { id?: unknown }).id
        : undefined;
    out[key] = typeof id === 'string' ? id : value;
  }
  return sortKeys(out) as Record<string, unknown>;
}

/** The document to serialise: pure, for tests and for GET /config. */
export function declarativeDocument(set: EntitySet): Record<string, unknown> {
  const doc: Record<string, unknown> = { _format_version: FORMAT_VERSION, _transform: false };
  for (const entity of WRITE_ORDER) {
    const rows = [...set[entity]].sort((a, b) => {
      const ka = sortKey(entity, a);
      const kb = sortKey(entity, b);
      if (ka !== kb) return ka < kb ? -1 : 1;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    if (rows.length > 0) doc[entity] = rows.map((row) => exportRow(entity, row));
  }
  return doc;
}

export function renderDeclarative(doc: Record<string, unknown>, format: ExportFormat = 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  // lineWidth 0: long values (PEM blocks, regexes) are never folded, so they read back unchanged.
  return stringify(doc, { lineWidth: 0, minContentWidth: 0, nullStr: 'null' });
}

/** Through the entity DAOs, for a Dao that is not a SnapshotReader: the same rows, page by page. */
async function readAll(dao: Dao): Promise<EntitySet> {
  const set = {} as EntitySet;
  for (const entity of ENTITY_NAMES) {
    const rows: EntityRow[] = [];
    let offset: string | undefined;
    do {
      const page = await dao.entity(entity).list({ size: 1000, ...(offset === undefined ? {} : { offset }) });
      for (const row of page.data) {
        if (entity !== 'certificates') rows.push(row);
        else {
          // certificates.snis is virtual: the SNIs are exported as entities of their own.
          const { snis: _virtual, ...certificate } = row;
          rows.push(certificate as EntityRow);
        }
      }
      offset = page.offset;
    } while (offset !== undefined);
    set[entity] = rows;
  }
  return set;
}

/** Every entity a declarative file holds, read in one snapshot when the source can. */
export async function readEntities(source: SnapshotReader | Dao): Promise<EntitySet> {
  return 'exportAll' in source ? source.exportAll() : readAll(source);
}

export async function exportDeclarative(
  source: SnapshotReader | Dao,
  options: ExportOptions = {},
): Promise<string> {
  const set = await readEntities(source);
  return renderDeclarative(declarativeDocument(set), options.format ?? 'yaml');
}
