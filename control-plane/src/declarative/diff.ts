/**
 * What importing a declarative file with `POST /config` would do to the database: the entities
 * it would create, change and delete. Pure: the current rows and the parsed file in, the lists
 * out. Entities are matched by id (the file's, or Kong's deterministic one), as the import does.
 * Timestamps are not compared, a missing field equals null, and a reference equals its id.
 * Hashed credentials (basic-auth passwords) read back as hashes and so always show as changed.
 */
import type { EntityName } from '@turnpike/shared/schema';
import type { EntitySet } from '../dao/snapshot-read.ts';
import type { EntityRow } from '../dao/types.ts';
import { definitionOf, WRITE_ORDER } from './relations.ts';
import type { DeclarativeConfig } from './types.ts';

export interface DeclarativeDiffItem {
  readonly entity: EntityName;
  readonly id: string;
  /** The endpoint key's value (name, username, key…), else a `name` field's (a plugin's). */
  readonly name?: string;
  /** For a change: the top-level fields that differ. */
  readonly fields?: readonly string[];
}

export interface DeclarativeDiff {
  readonly created: DeclarativeDiffItem[];
  readonly changed: DeclarativeDiffItem[];
  readonly deleted: DeclarativeDiffItem[];
  readonly unchanged: number;
}

const IGNORED = new Set(['created_at', 'updated_at']);

function canonical(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // A reference: `{ id }` whatever else a row carries with it.
  if (keys.includes('id') && typeof record.id === 'string' && keys.length === 1) return record.id;
  const out: Record<string, unknown> = {};
  for (const key of keys.sort())
    if (record[key] !== undefined && record[key] !== null) out[key] = normalise(record[key]);
  return out;
}

function differingFields(current: EntityRow, next: EntityRow): string[] {
  const fields = new Set([...Object.keys(current), ...Object.keys(next)]);
  const out: string[] = [];
  for (const field of fields) {
    if (IGNORED.has(field)) continue;
    if (canonical(current[field]) !== canonical(next[field])) out.push(field);
  }
  return out.sort();
}

function item(entity: EntityName, row: EntityRow, fields?: string[]): DeclarativeDiffItem {
  const key = definitionOf(entity).endpoint_key;
  const keyed = key === undefined ? undefined : row[key];
  // A plugin without an instance_name is known by its plugin name.
  const name = typeof keyed === 'string' ? keyed : row.name;
  return {
    entity,
    id: row.id,
    ...(typeof name === 'string' ? { name } : {}),
    ...(fields === undefined ? {} : { fields }),
  };
}

export function diffDeclarative(current: EntitySet, next: DeclarativeConfig): DeclarativeDiff {
  const diff: DeclarativeDiff = { created: [], changed: [], deleted: [], unchanged: 0 };
  let unchanged = 0;
  for (const entity of WRITE_ORDER) {
    const existing = new Map(current[entity].map((row) => [row.id, row]));
    for (const row of next.entities[entity]) {
      const before = existing.get(row.id);
      existing.delete(row.id);
      if (before === undefined) {
        diff.created.push(item(entity, row));
        continue;
      }
      const fields = differingFields(before, row);
      if (fields.length === 0) unchanged++;
      else diff.changed.push(item(entity, row, fields));
    }
    for (const row of existing.values()) diff.deleted.push(item(entity, row));
  }
  return { ...diff, unchanged };
}
