/**
 * A record's shorthand fields (Kong's `shorthand_fields` in Schema:process_auto_fields): input-only
 * names expanded into real fields before defaults and validation. rate-limiting's deprecated
 * `redis_host` becomes `redis.host`, and so on.
 *
 * Kong's order: the shorthand's value is validated against its own descriptor, then (for a
 * deprecated one) compared with the field that replaces it — both given with different values is
 * an error — then `func` sets the real fields: a deprecated shorthand never overrides a real field
 * that is set (null aside), a plain one does. A shorthand that fails stays in the data, so
 * `shorthandErrors` can name it when the record is validated; one that passes is gone.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FieldErrors } from '../errors.ts';
import { isPlainObject, validateField } from './field.ts';
import type { RecordField, RecordShorthand } from './types.ts';

function tablePath(data: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = data;
  for (const k of path) {
    if (!isPlainObject(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** Lua's tostring as Kong's message prints it. */
function luaString(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'object') return 'table';
  return String(v);
}

/** The error of one shorthand value against `data` (the record's input), or undefined. */
function shorthandError(
  name: string,
  shorthand: RecordShorthand,
  value: unknown,
  data: Record<string, unknown>,
): FieldErrors[string] | undefined {
  const err = validateField(shorthand, value);
  if (err !== undefined) return err;
  for (const { path } of shorthand.deprecation?.replaced_with ?? []) {
    const current = tablePath(data, path);
    if (current !== undefined && current !== null && !isDeepStrictEqual(current, value)) {
      return (
        'both deprecated and new field are used but their values mismatch: ' +
        `${name} = ${luaString(value)} vs ${path.join('.')} = ${luaString(current)}`
      );
    }
  }
  return undefined;
}

/** Kong's null_aware_table_merge(fromShorthand, current): what is set in `current` wins. */
function nullAwareMerge(fromShorthand: Record<string, unknown>, current: Record<string, unknown>) {
  const out = { ...fromShorthand };
  for (const [k, v] of Object.entries(current)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** `data` with the record's valid shorthands expanded; the same object when it has none. */
export function expandShorthands(
  record: RecordField,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const shorthands = record.shorthand_fields;
  if (shorthands === undefined) return data;
  let out: Record<string, unknown> | undefined;
  for (const [name, shorthand] of Object.entries(shorthands)) {
    const value = data[name];
    if (value === undefined) continue;
    if (shorthandError(name, shorthand, value, data) !== undefined) continue;
    out ??= { ...data };
    delete out[name];
    if (value === null) continue;
    const deprecated = shorthand.deprecation !== undefined;
    for (const [k, v] of Object.entries((shorthand.func as (x: unknown) => unknown)(value) ?? {})) {
      const existing = out[k];
      if (isPlainObject(v)) {
        const source = isPlainObject(existing) ? existing : {};
        out[k] = deprecated ? nullAwareMerge(v, source) : { ...source, ...v };
      } else if (!deprecated || existing === undefined || existing === null) {
        out[k] = v;
      }
    }
  }
  return out ?? data;
}

/** The errors of the shorthands `expandShorthands` left in `data` (each invalid), or undefined. */
export function shorthandErrors(record: RecordField, data: Record<string, unknown>): FieldErrors | undefined {
  const shorthands = record.shorthand_fields;
  if (shorthands === undefined) return undefined;
  let errors: FieldErrors | undefined;
  for (const [name, shorthand] of Object.entries(shorthands)) {
    if (data[name] === undefined) continue;
    const err = shorthandError(name, shorthand, data[name], data);
    if (err !== undefined) {
      errors ??= {};
      errors[name] = err;
    }
  }
  return errors;
}
