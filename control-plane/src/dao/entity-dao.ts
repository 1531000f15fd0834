/**
 * One EntityDao for any entity, driven by its table model: validate with the shared schema,
 * resolve foreign keys, encode secrets, write, record the change. The Dao (dao.ts) decides
 * which transaction a write runs in and when the config version bumps.
 */
import { ForeignKeysUnresolvedError, SchemaViolationError, type UnresolvedKey } from '@turnpike/shared';
import {
  type EntityName,
  type PluginSchemaLookup,
  validateEntity,
  validateField,
} from '@turnpike/shared/schema';
import type { ConfigChange } from '../store/config-version.ts';
import { findTextProblems, problemFields, storable, textProblem } from '../store/text.ts';
import type { Queryable } from '../store/types.ts';
import { upsertMany } from './bulk-upsert.ts';
import { decodeEntity, encodeEntity, type KeyringSource } from './codec.ts';
import { invalidPrimaryKey, mapConstraintError, notFound, notFoundByField } from './errors.ts';
import { afterWrite, beforeWrite, decorate } from './hooks.ts';
import { quote, referencesTo, type TableModel, tableModel } from './model.ts';
import { decodeOffset, encodeOffset, isUuid, pageSize } from './pagination.ts';
import { insertSql, listSql, recordingSql, rowValues, selectOneSql, updateSql, upsertSql } from './sql.ts';
import type { EntityDao, EntityRow, ListOptions, Page, ParentScope, WriteOptions } from './types.ts';

/** The transaction a write runs in and the changes it has recorded so far. */
export interface WriteContext {
  readonly tx: Queryable;
  readonly changes: ConfigChange[];
}

/** Where an EntityDao reads and how it writes: one transaction per call, or the caller's. */
export interface DaoRuntime {
  readonly read: Queryable;
  write<T>(fn: (ctx: WriteContext) => Promise<T>): Promise<T>;
  readonly keyring: KeyringSource;
  readonly pluginSchemas: PluginSchemaLookup;
}

type Stored = Record<string, unknown> & { id: string };
type Operation = 'insert' | 'update' | 'upsert';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scopeColumn(model: TableModel, scope: ParentScope | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const reference = model.foreign.find((r) => r.field === scope.field);
  if (reference === undefined)
    throw new TypeError(`'${scope.field}' is not a foreign key of '${model.name}'`);
  return reference.column;
}

/** The column an `idOrKey` addresses: id for a UUID, else the endpoint key's. */
function lookupColumn(model: TableModel, idOrKey: string): string {
  if (isUuid(idOrKey)) return 'id';
  const column = model.columns.find((c) => c.field === model.endpointKey);
  if (column === undefined) throw invalidPrimaryKey();
  return column.column;
}

export async function findStored(
  q: Queryable,
  model: TableModel,
  idOrKey: string,
  scope: ParentScope | undefined,
  lock: boolean,
): Promise<Stored | undefined> {
  const column = lookupColumn(model, idOrKey);
  const scoped = scopeColumn(model, scope);
  // A key PostgreSQL cannot even hold (a NUL, a lone surrogate) names nothing.
  if (!storable(idOrKey)) return undefined;
  // A parent id that is not a UUID matches nothing (and must not reach a uuid cast).
  if (scope !== undefined && !isUuid(scope.id)) return undefined;
  const params = scope === undefined ? [idOrKey] : [idOrKey, scope.id];
  const { rows } = await q.query<{ entity: Stored }>(selectOneSql(model, column, scoped, lock), params);
  return rows[0]?.entity;
}

function notFoundFor(model: TableModel, idOrKey: string) {
  return isUuid(idOrKey) ? notFound(idOrKey) : notFoundByField(model.endpointKey ?? 'id', idOrKey);
}

/** The row whose unique (or endpoint-key) `field` holds `value`, if any. */
export async function findByUnique(
  q: Queryable,
  model: TableModel,
  field: string,
  value: string,
): Promise<Stored | undefined> {
  const column = model.columns.find((c) => c.field === field && !c.foreign);
  if (column === undefined) throw new TypeError(`'${field}' is not a key column of '${model.name}'`);
  // A value PostgreSQL cannot hold names nothing.
  if (!storable(value)) return undefined;
  const { rows } = await q.query<{ entity: Stored }>(selectOneSql(model, column.column, undefined, false), [
    value,
  ]);
  return rows[0]?.entity;
}

/** The fields of `model` a foreign key may name it by, in schema order: unique ones and the endpoint key. */
function lookupFields(model: TableModel): string[] {
  return Object.entries(model.definition.fields)
    .filter(([field, d]) => field !== 'id' && (d.unique === true || field === model.endpointKey))
    .map(([field]) => field)
    .filter((field) => model.columns.some((c) => c.field === field && !c.foreign));
}

/**
 * Kong's resolve_foreign (kong/db/dao/init.lua): a foreign key without a valid primary key
 * (`service: { name: "s" }`, `consumer: { custom_id: "c" }`) is looked up by each unique or
 * endpoint-key field it gives, in schema order, and becomes `{ id }`; when none names an
 * entity it is Kong's `foreign keys unresolved` (code 13). A primary key naming nothing is left
 * to the database: Kong's foreign key violation (code 4).
 */
export async function resolveForeignKeys(
  q: Queryable,
  model: TableModel,
  data: Record<string, unknown>,
): Promise<void> {
  const unresolved: Record<string, Record<string, UnresolvedKey>> = {};
  for (const reference of model.foreign) {
    const value = data[reference.field];
    if (!isObject(value) || (typeof value.id === 'string' && isUuid(value.id))) continue;
    const parent = tableModel(reference.reference);
    const missing: Record<string, UnresolvedKey> = {};
    let found: string | undefined;
    for (const field of lookupFields(parent)) {
      const keyValue = value[field];
      if (keyValue === undefined || keyValue === null) continue;
      if (validateField(parent.definition.fields[field]!, keyValue) !== undefined) continue;
      const row = await findByUnique(q, parent, field, String(keyValue));
      if (row !== undefined) {
        found = row.id;
        break;
      }
      missing[field] = { value: keyValue, parent: parent.name };
    }
    if (found !== undefined) data[reference.field] = { id: found };
    else if (Object.keys(missing).length > 0) unresolved[reference.field] = missing;
  }
  if (Object.keys(unresolved).length > 0) throw new ForeignKeysUnresolvedError(unresolved);
}

export function validate(
  model: TableModel,
  operation: Operation,
  data: Record<string, unknown>,
  pluginSchemas: PluginSchemaLookup,
  current?: Record<string, unknown>,
): Stored {
  const result = validateEntity(model.name, data, {
    operation,
    pluginSchemas,
    ...(current === undefined ? {} : { current }),
  });
  if (!result.ok) throw new SchemaViolationError(result.fields);
  return result.value as unknown as Stored;
}

/**
 * Writes the row. When the transaction has recorded nothing yet, the change is recorded in the
 * same statement (recordingSql), which saves the write a round trip to the database; otherwise
 * it joins `ctx.changes`, recorded at the end, so the changes keep the order they were made in.
 */
async function writeRow(ctx: WriteContext, model: TableModel, sql: string, stored: Stored): Promise<void> {
  const inline = ctx.changes.length === 0;
  const values = rowValues(model, stored);
  try {
    if (inline) await ctx.tx.query(recordingSql(sql, values.length), [...values, model.name]);
    else await ctx.tx.query(sql, values);
  } catch (err) {
    throw mapConstraintError(err, model, stored);
  }
  if (!inline) ctx.changes.push({ entity: model.name, id: stored.id, op: 'upsert' });
}

/** The hashed fields this write's input sets: only those are hashed (again). */
export function freshHashed(model: TableModel, input: Record<string, unknown>): Set<string> {
  return new Set(model.hashed.filter((f) => typeof input[f] === 'string'));
}

/** Every entity a delete of `ids` cascades to, deepest first, locked until commit. */
async function cascadeDeletes(
  q: Queryable,
  parent: EntityName,
  ids: readonly string[],
): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = [];
  for (const reference of referencesTo(parent)) {
    if (!reference.cascade) continue;
    const { rows } = await q.query<{ id: string }>(
      `SELECT id::text AS id FROM ${reference.entity} WHERE ${quote(reference.column)} = ANY($1::uuid[]) FOR UPDATE`,
      [ids],
    );
    if (rows.length === 0) continue;
    const childIds = rows.map((r) => r.id);
    changes.push(...(await cascadeDeletes(q, reference.entity, childIds)));
    for (const id of childIds) changes.push({ entity: reference.entity, id, op: 'delete' });
  }
  return changes;
}

export function createEntityDao(model: TableModel, runtime: DaoRuntime): EntityDao {
  const present = async (q: Queryable, stored: Stored): Promise<EntityRow> =>
    (await decorate(q, model, [(await decodeEntity(model, stored, runtime.keyring)) as EntityRow]))[0]!;

  const prepare = (input: Record<string, unknown>, scope: ParentScope | undefined) => {
    // Text PostgreSQL refuses would fail the first statement: refuse it as Kong refuses bad input.
    const problems = findTextProblems(input);
    if (problems.length > 0) throw new SchemaViolationError(problemFields(problems));
    const data = isObject(input) ? structuredClone(input) : input;
    if (scope !== undefined && isObject(data)) {
      scopeColumn(model, scope);
      data[scope.field] = { id: scope.id };
    }
    return data;
  };

  const store = async (ctx: WriteContext, sql: string, entity: Stored, input: Record<string, unknown>) => {
    const stored = (await encodeEntity(model, entity, runtime.keyring, freshHashed(model, input))) as Stored;
    await writeRow(ctx, model, sql, stored);
    await afterWrite(ctx, model, entity, input, (name) =>
      createEntityDao(tableModel(name), fixed(ctx, runtime)),
    );
    return present(ctx.tx, stored);
  };

  return {
    name: model.name,

    async list(options: ListOptions = {}): Promise<Page> {
      const size = pageSize(options.size);
      const after = options.offset === undefined ? undefined : decodeOffset(options.offset);
      const scoped = scopeColumn(model, options.scope);
      if (options.scope !== undefined && !isUuid(options.scope.id)) return { data: [] };
      // No entity can carry a tag PostgreSQL cannot hold.
      if (!storable(...(options.tags?.all ?? []), ...(options.tags?.any ?? []))) return { data: [] };
      const { sql, params } = listSql(model, {
        ...(after === undefined ? {} : { after }),
        ...(options.tags?.all === undefined ? {} : { all: options.tags.all }),
        ...(options.tags?.any === undefined ? {} : { any: options.tags.any }),
        ...(scoped === undefined ? {} : { scopeColumn: scoped, scopeId: options.scope?.id }),
        limit: size + 1,
      });
      const { rows } = await runtime.read.query<{ entity: Stored }>(sql, params);
      const page = rows.slice(0, size).map((r) => r.entity);
      const decoded = await Promise.all(page.map((s) => decodeEntity(model, s, runtime.keyring)));
      const data = await decorate(runtime.read, model, decoded as EntityRow[]);
      const last = page.at(-1);
      return rows.length > size && last !== undefined ? { data, offset: encodeOffset(last.id) } : { data };
    },

    async get(idOrKey, options: WriteOptions = {}) {
      const stored = await findStored(runtime.read, model, idOrKey, options.scope, false);
      return stored === undefined ? undefined : present(runtime.read, stored);
    },

    async getByUnique(field, value) {
      if (!model.uniques.some((u) => u.fields.length === 1 && u.fields[0] === field))
        throw new TypeError(`'${field}' is not a unique field of '${model.name}'`);
      const stored = await findByUnique(runtime.read, model, field, value);
      return stored === undefined ? undefined : present(runtime.read, stored);
    },

    insert(input, options: WriteOptions = {}) {
      return runtime.write(async (ctx) => {
        const data = prepare(input, options.scope);
        if (isObject(data)) {
          await beforeWrite(ctx.tx, model, data, undefined);
          await resolveForeignKeys(ctx.tx, model, data);
        }
        const entity = validate(model, 'insert', data, runtime.pluginSchemas);
        return store(ctx, insertSql(model), entity, data);
      });
    },

    update(idOrKey, input, options: WriteOptions = {}) {
      return runtime.write(async (ctx) => {
        const current = await findStored(ctx.tx, model, idOrKey, options.scope, true);
        if (current === undefined) throw notFoundFor(model, idOrKey);
        const decoded = await decodeEntity(model, current, runtime.keyring);
        const data = prepare(input, undefined);
        if (isObject(data)) {
          // The URL names the entity: an id in the body does not move it.
          data.id = current.id;
          await beforeWrite(ctx.tx, model, data, current.id);
          await resolveForeignKeys(ctx.tx, model, data);
        }
        const entity = validate(model, 'update', data, runtime.pluginSchemas, decoded);
        entity.created_at = current.created_at;
        return store(ctx, updateSql(model), entity, data);
      });
    },

    upsert(idOrKey, input, options: WriteOptions = {}) {
      return runtime.write(async (ctx) => {
        const byId = isUuid(idOrKey);
        // PUT by name stores the key as the name: it must be text PostgreSQL holds.
        const keyProblem = textProblem(idOrKey);
        if (keyProblem !== undefined)
          throw new SchemaViolationError({ [model.endpointKey ?? 'id']: keyProblem });
        const existing = await findStored(ctx.tx, model, idOrKey, byId ? undefined : options.scope, true);
        const data = prepare(input, options.scope);
        if (isObject(data)) {
          if (byId) data.id = idOrKey;
          else if (model.endpointKey !== undefined) {
            data[model.endpointKey] = idOrKey;
            if (existing !== undefined) data.id = existing.id;
          }
          await beforeWrite(ctx.tx, model, data, typeof data.id === 'string' ? data.id : undefined);
          await resolveForeignKeys(ctx.tx, model, data);
        }
        const entity = validate(model, 'upsert', data, runtime.pluginSchemas);
        // PUT replaces the entity but not its history.
        if (existing !== undefined) entity.created_at = existing.created_at;
        return store(ctx, upsertSql(model), entity, data);
      });
    },

    upsertMany(inputs) {
      return runtime.write(async (ctx) => {
        const plain = model.name !== 'certificates' && inputs.every((i) => isUuid(String(i.id)));
        if (plain) return upsertMany(ctx, model, runtime, inputs);
        // Hooks (certificates' SNIs) or a key instead of an id: one at a time.
        const single = createEntityDao(model, fixed(ctx, runtime));
        for (const input of inputs) await single.upsert(String(input.id), input);
        return inputs.length;
      });
    },

    delete(idOrKey, options: WriteOptions = {}) {
      return runtime.write(async (ctx) => {
        const row = await findStored(ctx.tx, model, idOrKey, options.scope, true);
        if (row === undefined) return;
        const cascaded = await cascadeDeletes(ctx.tx, model.name, [row.id]);
        try {
          await ctx.tx.query(`DELETE FROM ${model.name} WHERE id = $1`, [row.id]);
        } catch (err) {
          throw mapConstraintError(err, model, undefined, true);
        }
        ctx.changes.push(...cascaded, { entity: model.name, id: row.id, op: 'delete' });
      });
    },
  };
}

/** A runtime bound to one write context: what hooks use to write related entities in the same transaction. */
export function fixed(ctx: WriteContext, runtime: DaoRuntime): DaoRuntime {
  return { ...runtime, read: ctx.tx, write: (fn) => fn(ctx) };
}
