/**
 * The SQL the generic DAO runs, built from the table model (pure). Identifiers come from
 * the model, never from input; every value is a $n parameter.
 */
import { quote, type TableModel } from './model.ts';

export interface Where {
  readonly sql: string;
  readonly params: unknown[];
}

/** The columns written for one stored entity, in the order of `writeColumns`. */
export function rowValues(model: TableModel, stored: Record<string, unknown>): unknown[] {
  const created = stored.created_at as number;
  const updated = typeof stored.updated_at === 'number' ? stored.updated_at : Date.now() / 1000;
  const tags = Array.isArray(stored.tags) ? stored.tags : null;
  const keys = model.columns.map((c) => {
    const value = stored[c.field];
    if (value === null || value === undefined) return null;
    if (c.foreign) return (value as { id?: unknown }).id ?? null;
    return String(value);
  });
  return [stored.id, created, updated, tags, ...keys, JSON.stringify(stored)];
}

function writeColumns(model: TableModel): { names: string[]; values: string[] } {
  const names = [
    'id',
    'created_at',
    'updated_at',
    'tags',
    ...model.columns.map((c) => quote(c.column)),
    'entity',
  ];
  const values = names.map((name, i) => {
    const p = `$${i + 1}`;
    if (name === 'created_at' || name === 'updated_at') return `to_timestamp(${p})`;
    if (name === 'tags') return `${p}::text[]`;
    if (name === 'entity') return `${p}::jsonb`;
    return p;
  });
  return { names, values };
}

export function insertSql(model: TableModel): string {
  const { names, values } = writeColumns(model);
  return `INSERT INTO ${model.name} (${names.join(', ')}) VALUES (${values.join(', ')})`;
}

/** Insert, or replace everything but created_at when the id exists (PUT). */
export function upsertSql(model: TableModel): string {
  const { names } = writeColumns(model);
  const set = names.filter((n) => n !== 'id' && n !== 'created_at').map((n) => `${n} = EXCLUDED.${n}`);
  return `${insertSql(model)} ON CONFLICT (id) DO UPDATE SET ${set.join(', ')}`;
}

export function updateSql(model: TableModel): string {
  const { names, values } = writeColumns(model);
  const set = names.map((n, i) => `${n} = ${values[i]}`).filter((_, i) => names[i] !== 'id');
  return `UPDATE ${model.name} SET ${set.join(', ')} WHERE id = $1`;
}

/**
 * One row by id or by a key column, optionally within a parent, optionally locked for the
 * rest of the transaction (read-modify-write must not race another writer).
 */
export function selectOneSql(
  model: TableModel,
  column: string,
  scopeColumn: string | undefined,
  lock: boolean,
): string {
  const scope = scopeColumn === undefined ? '' : ` AND ${quote(scopeColumn)} = $2`;
  const forUpdate = lock ? ' FOR UPDATE' : '';
  return `SELECT entity FROM ${model.name} WHERE ${quote(column)} = $1${scope} ORDER BY id LIMIT 1${forUpdate}`;
}

export interface ListQuery {
  readonly after?: string;
  readonly all?: readonly string[];
  readonly any?: readonly string[];
  readonly scopeColumn?: string;
  readonly scopeId?: string;
  readonly limit: number;
}

/** A page in id order (Kong's PostgreSQL strategy pages by primary key too). */
export function listSql(model: TableModel, query: ListQuery): Where {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const add = (condition: (p: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (query.after !== undefined) add((p) => `id > ${p}::uuid`, query.after);
  if (query.scopeColumn !== undefined) add((p) => `${quote(query.scopeColumn!)} = ${p}::uuid`, query.scopeId);
  if (query.all !== undefined && query.all.length > 0) add((p) => `tags @> ${p}::text[]`, query.all);
  if (query.any !== undefined && query.any.length > 0) add((p) => `tags && ${p}::text[]`, query.any);
  params.push(query.limit);
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
  return {
    sql: `SELECT entity FROM ${model.name}${where} ORDER BY id LIMIT $${params.length}`,
    params,
  };
}

/**
 * `sql` (an insert, upsert or update of one row, `parameters` parameters) that also records the
 * row's change for the config version its transaction takes at commit, as recordConfigChanges
 * does (store/config-version.ts, migration 003_config_commit): one statement instead of two.
 * The entity name is the last parameter.
 */
export function recordingSql(sql: string, parameters: number): string {
  return `WITH written AS (${sql} RETURNING id)
    INSERT INTO config_pending (first, entity, id, op)
    SELECT true, $${parameters + 1}::text, written.id, 'upsert' FROM written`;
}
