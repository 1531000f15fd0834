/**
 * Kong's DAO errors (kong/db/errors.lua) built from the table model, and the mapping of
 * PostgreSQL constraint violations onto them: a constraint violation is never a 500.
 */
import {
  type FieldErrors,
  ForeignKeyViolationError,
  InvalidOffsetError,
  InvalidPrimaryKeyError,
  InvalidSizeError,
  luaPretty,
  NotFoundError,
  PrimaryKeyViolationError,
  UniqueViolationError,
} from '@turnpike/shared';
import { pgErrorInfo } from '../store/errors.ts';
import { referenceByConstraint, type TableModel, uniqueByConstraint } from './model.ts';

// Penlight's `pretty.write(value, "")`, which Kong's messages embed (`{id="…"}`), is shared with
// the declarative errors; re-exported for the tests that check the DAO's words.
export { luaPretty };

// Kong's `fields` may hold nulls (a plugin's unique key without a consumer); FieldErrors has no
// null, so these builders cast: the Admin API serialises the object as is.
const asFields = (value: Record<string, unknown>) => value as FieldErrors;

export function uniqueViolation(key: Record<string, unknown>): UniqueViolationError {
  return new UniqueViolationError(`UNIQUE violation detected on '${luaPretty(key)}'`, asFields(key));
}

export function primaryKeyViolation(id: string): PrimaryKeyViolationError {
  return new PrimaryKeyViolationError(`primary key violation on key '${luaPretty({ id })}'`, { id });
}

/** A foreign key naming an entity that does not exist. */
export function invalidReference(
  field: string,
  key: Record<string, unknown>,
  parent: string,
): ForeignKeyViolationError {
  return new ForeignKeyViolationError(
    `the foreign key '${luaPretty(key)}' does not reference an existing '${parent}' entity.`,
    asFields({ [field]: key }),
  );
}

/** Deleting an entity that others still reference (no cascade). */
export function restrictedDelete(parent: string, child: string): ForeignKeyViolationError {
  return new ForeignKeyViolationError(`an existing '${child}' entity references this '${parent}' entity`, {
    '@referenced_by': child,
  });
}

export function notFound(id: string): NotFoundError {
  return new NotFoundError(`could not find the entity with primary key '${luaPretty({ id })}'`, { id });
}

export function notFoundByField(field: string, value: string): NotFoundError {
  return new NotFoundError(`could not find the entity with '${luaPretty({ [field]: value })}'`, {
    [field]: value,
  });
}

export function invalidPrimaryKey(): InvalidPrimaryKeyError {
  const fields = { id: 'expected a valid UUID' };
  return new InvalidPrimaryKeyError(`invalid primary key: '${luaPretty(fields)}'`, fields);
}

export function invalidOffset(offset: string): InvalidOffsetError {
  return new InvalidOffsetError(`'${offset}' is not a valid offset: bad base64 encoding`);
}

export function invalidSize(max: number): InvalidSizeError {
  return new InvalidSizeError(`size must be an integer between 1 and ${max}`);
}

/** The values of a unique key in the entity being written, foreign keys as `{ id }` (or null). */
function uniqueKeyValues(
  fields: readonly string[],
  entity: Record<string, unknown>,
): Record<string, unknown> {
  const key: Record<string, unknown> = {};
  for (const field of fields) key[field] = entity[field] ?? null;
  return key;
}

/**
 * Turns a constraint violation raised while writing `entity` into Kong's error; anything
 * else is returned unchanged. `deleting` tells a restricted delete from a bad reference.
 */
export function mapConstraintError(
  err: unknown,
  model: TableModel,
  entity: Record<string, unknown> | undefined,
  deleting = false,
): unknown {
  const info = pgErrorInfo(err);
  if (info === undefined) return err;
  if (info.sqlState === '23505') {
    if (info.constraint === `${model.name}_pkey` && typeof entity?.id === 'string') {
      return primaryKeyViolation(entity.id);
    }
    const unique = uniqueByConstraint(model, info.constraint);
    if (unique !== undefined && entity !== undefined)
      return uniqueViolation(uniqueKeyValues(unique.fields, entity));
  }
  // 23001: ON DELETE RESTRICT refused; 23503: any other foreign key violation.
  if (info.sqlState === '23503' || info.sqlState === '23001') {
    const reference = referenceByConstraint(info.constraint);
    if (reference !== undefined && deleting) return restrictedDelete(reference.reference, reference.entity);
    if (reference !== undefined && entity !== undefined && reference.entity === model.name) {
      const key = entity[reference.field];
      return invalidReference(reference.field, (key ?? {}) as Record<string, unknown>, reference.reference);
    }
  }
  return err;
}
