/**
 * Many upserts by id in a few statements (declarative import): one SELECT … FOR UPDATE of the
 * rows that exist, validation entity by entity in memory, one multi-row INSERT … ON CONFLICT.
 * The outcome is the one of `upsert` called for each input in turn: same validation, same
 * stored rows (created_at kept), same recorded changes. When the multi-row statement fails (a
 * unique or foreign key violation, or one id given twice), it is rolled back to a savepoint and
 * the rows are written one by one, so the error names the entity at fault as `upsert` would.
 */
import { SchemaViolationError } from '@turnpike/shared';
import { findTextProblems, problemFields } from '../store/text.ts';
import { encodeEntity } from './codec.ts';
import {
  type DaoRuntime,
  freshHashed,
  resolveForeignKeys,
  validate,
  type WriteContext,
} from './entity-dao.ts';
import { mapConstraintError } from './errors.ts';
import type { TableModel } from './model.ts';
import { rowValues, upsertSql } from './sql.ts';

type Stored = Record<string, unknown> & { id: string };

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;

/** `upsertSql` for `rows` rows: the single-row statement's VALUES repeated with shifted parameters. */
function multiRowSql(model: TableModel, rows: number, columns: number): string {
  const single = upsertSql(model);
  const start = single.indexOf('VALUES (') + 'VALUES '.length;
  const end = single.indexOf(') ON CONFLICT') + 1;
  const tuple = single.slice(start, end);
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const offset = r * columns;
    tuples.push(tuple.replaceAll(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`));
  }
  return `${single.slice(0, start)}${tuples.join(', ')}${single.slice(end)}`;
}

export async function upsertMany(
  ctx: WriteContext,
  model: TableModel,
  runtime: DaoRuntime,
  inputs: readonly (Record<string, unknown> & { id: unknown })[],
): Promise<number> {
  if (inputs.length === 0) return 0;
  const ids = inputs.map((i) => String(i.id));
  const { rows: existing } = await ctx.tx.query<{ entity: Stored }>(
    `SELECT entity FROM ${model.name} WHERE id = ANY($1::uuid[]) FOR UPDATE`,
    [ids],
  );
  const createdAt = new Map(existing.map((r) => [r.entity.id, r.entity.created_at]));
  const stored: Stored[] = [];
  for (const input of inputs) {
    const problems = findTextProblems(input);
    if (problems.length > 0) throw new SchemaViolationError(problemFields(problems));
    // Validation copies what it keeps; foreign keys resolved by name replace top-level fields only.
    const data: Record<string, unknown> = { ...input };
    await resolveForeignKeys(ctx.tx, model, data);
    const entity = validate(model, 'upsert', data, runtime.pluginSchemas);
    const created = createdAt.get(entity.id);
    if (created !== undefined) entity.created_at = created;
    stored.push((await encodeEntity(model, entity, runtime.keyring, freshHashed(model, data))) as Stored);
  }
  const values = stored.map((s) => rowValues(model, s));
  const columns = values[0]!.length;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns));
  await ctx.tx.query('SAVEPOINT turnpike_upsert_many');
  try {
    for (let i = 0; i < values.length; i += perStatement) {
      const chunk = values.slice(i, i + perStatement);
      await ctx.tx.query(multiRowSql(model, chunk.length, columns), chunk.flat());
    }
    await ctx.tx.query('RELEASE SAVEPOINT turnpike_upsert_many');
  } catch {
    // Row by row, for the error `upsert` would give (or success, when the batch only failed
    // because an id came twice: the later one wins, as it would one by one).
    await ctx.tx.query('ROLLBACK TO SAVEPOINT turnpike_upsert_many');
    const sql = upsertSql(model);
    for (const [i, row] of values.entries()) {
      try {
        await ctx.tx.query(sql, row);
      } catch (err) {
        throw mapConstraintError(err, model, stored[i]);
      }
    }
  }
  for (const s of stored) ctx.changes.push({ entity: model.name, id: s.id, op: 'upsert' });
  return stored.length;
}
