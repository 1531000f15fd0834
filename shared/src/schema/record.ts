/**
 * A set of fields as a whole (an entity, or a record field): Kong's process_auto_fields
 * (defaults, generated values, set de-duplication) and Schema:validate (unknown fields,
 * per-field errors, required fields, entity checks).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FieldErrors } from '../errors.ts';
import { runEntityChecks } from './entity-checks.ts';
import { isPlainObject, validateField } from './field.ts';
import { MSG } from './messages.ts';
import { expandShorthands, shorthandErrors } from './shorthand.ts';
import type { EntityCheck, FieldDescriptor, FieldMap, RecordField } from './types.ts';

export type Context = 'insert' | 'update' | 'upsert';

export interface AutoOptions {
  /** Seconds since the epoch, for created_at / updated_at. */
  readonly now: number;
}

export interface SchemaShape {
  readonly fields: FieldMap;
  readonly entity_checks?: readonly EntityCheck[];
}

function deepCopy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** Kong's handle_missing_field: the default, else null when optional, else the expanded record. */
function missingValue(field: FieldDescriptor, opts: AutoOptions): unknown {
  if (field.default !== undefined) return deepCopy(field.default);
  if (field.required !== true) return null;
  if (field.type === 'record' && field.abstract !== true)
    return processAutoFields(field.fields, {}, 'insert', opts);
  return undefined;
}

function uniqueItems(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = JSON.stringify(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function adjust(field: FieldDescriptor, value: unknown, context: Context, opts: AutoOptions): unknown {
  if (field.type === 'record') {
    if (field.abstract === true) return value;
    const recurse =
      context === 'update'
        ? value !== null && value !== undefined
        : value !== null && (value !== undefined || field.required === true);
    if (recurse) {
      const v = value ?? missingValue(field, opts);
      if (isPlainObject(v)) return processAutoFields(field.fields, expandShorthands(field, v), context, opts);
    }
  } else if (Array.isArray(value) && (field.type === 'array' || field.type === 'set')) {
    const items = field.type === 'set' ? uniqueItems(value) : value;
    return items.map((item) => adjust(field.elements, item, context, opts));
  } else if (isPlainObject(value) && field.type === 'map') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = adjust(field.values, v, context, opts);
    return out;
  }
  if (value === undefined && context !== 'update') return missingValue(field, opts);
  return value;
}

/** 32 hex characters, as Kong's random_string. */
export function randomString(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Fills generated values and defaults (insert/upsert) or only the generated ones (update).
 * Returns a copy; keys the schema does not know are kept for validation to report.
 */
export function processAutoFields(
  fields: FieldMap,
  data: Record<string, unknown>,
  context: Context,
  opts: AutoOptions,
): Record<string, unknown> {
  // Schema order first, then whatever else came in (reported as unknown by validation).
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) if (key in data) out[key] = deepCopy(data[key]);
  for (const [key, value] of Object.entries(data)) if (!(key in fields)) out[key] = deepCopy(value);
  const creating = context === 'insert' || context === 'upsert';
  for (const [key, field] of Object.entries(fields)) {
    let value = out[key];
    if (field.auto === true) {
      if (field.type === 'string' && field.uuid === true) {
        if (creating && value === undefined) value = randomUUID();
      } else if (field.type === 'string') {
        if (creating && value === undefined) value = randomString();
      } else if (
        (key === 'created_at' && creating && (value === undefined || value === null)) ||
        (key === 'updated_at' && (creating || context === 'update'))
      ) {
        value = field.type === 'number' ? opts.now : Math.floor(opts.now);
      }
    }
    value = adjust(field, value, context, opts);
    if (value !== undefined) out[key] = value;
    else delete out[key];
  }
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) if (key in out) ordered[key] = out[key];
  for (const [key, value] of Object.entries(out)) if (!(key in fields)) ordered[key] = value;
  return ordered;
}

export interface ValidateOptions {
  readonly fullCheck: boolean;
  readonly updating: boolean;
}

/**
 * Kong's validate_fields + required check + entity checks. `fields` already carries any
 * subschema overrides; `checks` the entity's and the subschema's.
 */
export function validateShape(
  fields: FieldMap,
  checks: readonly EntityCheck[],
  input: Record<string, unknown>,
  opts: ValidateOptions,
): FieldErrors | undefined {
  const errors: FieldErrors = {};
  for (const [key, value] of Object.entries(input)) {
    const field = fields[key];
    if (field === undefined) {
      errors[key] = MSG.UNKNOWN;
      continue;
    }
    const err = validateField(field, value);
    if (err !== undefined) errors[key] = err;
  }
  for (const [key, field] of Object.entries(fields)) {
    if (field.required === true && (input[key] === null || (opts.fullCheck && input[key] === undefined))) {
      errors[key] = MSG.REQUIRED;
    }
  }
  runEntityChecks(checks, input, { fields, fullCheck: opts.fullCheck, updating: opts.updating }, errors);
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** A record field's value: its defaults applied, then validated whole (Kong does the same). */
export function validateRecord(field: RecordField, value: Record<string, unknown>): FieldErrors | undefined {
  const copy = processAutoFields(field.fields, expandShorthands(field, value), 'insert', { now: 0 });
  const invalid = shorthandErrors(field, copy);
  if (invalid !== undefined) for (const name of Object.keys(invalid)) delete copy[name];
  const errors = validateShape(field.fields, field.entity_checks ?? [], copy, {
    fullCheck: true,
    updating: false,
  });
  return invalid === undefined ? errors : { ...errors, ...invalid };
}

/** Kong's merge_values: `top` wins, records merge field by field, arrays are replaced. */
export function mergeValues(
  fields: FieldMap,
  top: Record<string, unknown>,
  bottom: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...bottom, ...top };
  for (const [key, field] of Object.entries(fields)) {
    const t = top[key];
    const b = bottom[key];
    if (t === undefined) out[key] = b;
    else if (field.type === 'record' && field.abstract !== true && isPlainObject(t)) {
      out[key] = mergeValues(field.fields, t, isPlainObject(b) ? b : {});
    }
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}
