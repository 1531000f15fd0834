/**
 * One field against its descriptor, as Kong's Schema:validate_field: null handling first,
 * then the type, then the validators in Kong's fixed order. Aggregates give nested errors:
 * arrays per index, records per field.
 */
import type { FieldErrors } from '../errors.ts';
import { MSG, quotedList } from './messages.ts';
import { validateRecord } from './record.ts';
import { isReference } from './reference.ts';
import type { ArrayField, FieldDescriptor, MapField, PatternRule } from './types.ts';

export type FieldError = FieldErrors[string];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kong's is_nonempty: not missing, not null, not an empty string, array or object. */
export function isNonEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

function display(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Kong's `#value` for strings counts bytes; for maps, keys. */
function lengthOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return value.length;
  return isPlainObject(value) ? Object.keys(value).length : 0;
}

function firstMatchingRule(
  value: string,
  rules: readonly PatternRule[],
  wantMatch: boolean,
): string | undefined {
  for (const rule of rules) if (rule.pattern.test(value) !== wantMatch) return rule.err;
  return undefined;
}

function mutuallyExclusiveSubsets(
  value: unknown[],
  subsets: readonly (readonly string[])[],
): string | undefined {
  const memberOf: (readonly string[])[] = [];
  for (const item of value) {
    const subset = subsets.find((s) => s.includes(String(item)));
    if (subset !== undefined && !memberOf.includes(subset)) memberOf.push(subset);
  }
  return memberOf.length <= 1 ? undefined : MSG.mutuallyExclusiveSets(quotedList(memberOf));
}

/** Runs the validators of a typed, non-null value in Kong's validators_order. */
function runValidators(field: FieldDescriptor, value: unknown): string | undefined {
  const f = field as Partial<
    FieldDescriptor & {
      between: readonly [number, number];
      gt: number;
      timestamp: boolean;
      uuid: boolean;
      len_eq: number;
      len_min: number;
      len_max: number;
      starts_with: string;
      match: RegExp;
      not_match: RegExp;
      match_none: readonly PatternRule[];
      match_all: readonly PatternRule[];
      match_any: { patterns: readonly RegExp[]; err: string };
      contains: string;
      mutually_exclusive_subsets: readonly (readonly string[])[];
    }
  >;
  if (f.eq !== undefined && value !== f.eq) return MSG.eq(display(f.eq));
  if (f.ne !== undefined && value === f.ne) return MSG.ne(display(value));
  if (f.not_one_of?.includes(value as string)) return MSG.notOneOf(f.not_one_of);
  if (f.one_of !== undefined && !f.one_of.includes(value as string)) return MSG.oneOf(f.one_of);
  const n = value as number;
  if (f.gt !== undefined && !(n > f.gt)) return MSG.gt(f.gt);
  if (f.timestamp === true && !(n > 0)) return MSG.TIMESTAMP;
  if (f.uuid === true && !(typeof value === 'string' && UUID_RE.test(value))) return MSG.UUID;
  if (f.between !== undefined && (n < f.between[0] || n > f.between[1])) {
    return MSG.between(f.between[0], f.between[1]);
  }
  const len = lengthOf(value);
  // Kong does not accept empty strings unless a schema says otherwise.
  const lenMin = f.len_min ?? (field.type === 'string' ? 1 : undefined);
  if (f.len_eq !== undefined && len !== f.len_eq) return MSG.lenEq(f.len_eq);
  if (lenMin !== undefined && len < lenMin) return MSG.lenMin(lenMin);
  if (f.len_max !== undefined && len > f.len_max) return MSG.lenMax(f.len_max);
  if (typeof value === 'string') {
    if (f.starts_with !== undefined && !value.startsWith(f.starts_with)) return MSG.startsWith(f.starts_with);
    if (f.not_match?.test(value) === true) return MSG.match(value);
    const none = f.match_none === undefined ? undefined : firstMatchingRule(value, f.match_none, false);
    if (none !== undefined) return none;
    if (f.match !== undefined && !f.match.test(value)) return MSG.match(value);
    const all = f.match_all === undefined ? undefined : firstMatchingRule(value, f.match_all, true);
    if (all !== undefined) return all;
    if (f.match_any !== undefined && !f.match_any.patterns.some((p) => p.test(value))) return f.match_any.err;
  }
  if (f.contains !== undefined && !(value as unknown[]).includes(f.contains)) return MSG.contains(f.contains);
  if (f.custom_validator !== undefined) {
    const err = (f.custom_validator as (v: unknown) => string | undefined)(value);
    if (err !== undefined) return err;
  }
  if (f.mutually_exclusive_subsets !== undefined) {
    return mutuallyExclusiveSubsets(value as unknown[], f.mutually_exclusive_subsets);
  }
  return undefined;
}

function validateElements(field: ArrayField, value: unknown[]): FieldError | undefined {
  const elements = { ...field.elements, required: true };
  const errs: (string | FieldErrors | null)[] = [];
  let failed = false;
  value.forEach((item, i) => {
    const err = validateField(elements, item);
    if (err !== undefined) {
      errs[i] = err as string | FieldErrors;
      failed = true;
    }
  });
  // Holes become nulls: Kong's sparse Lua array encodes that way in JSON.
  return failed ? Array.from(errs, (e) => e ?? null) : undefined;
}

function validateMap(field: MapField, value: Record<string, unknown>): FieldError | undefined {
  const keys = { ...field.keys, required: true };
  const values = { ...field.values, required: true };
  for (const [k, v] of Object.entries(value)) {
    const keyErr = validateField(keys, k);
    if (keyErr !== undefined) return keyErr;
    const valueErr = validateField(values, v);
    if (valueErr !== undefined) return valueErr;
  }
  return undefined;
}

/** Validates one value (null meaning an explicit JSON null); undefined when valid. */
export function validateField(field: FieldDescriptor, value: unknown): FieldError | undefined {
  if (value === null) {
    if (field.ne === null) return field.err ?? MSG.ne('null');
    if (field.eq !== undefined && field.eq !== null) return MSG.eq(display(field.eq));
    return field.required === true ? MSG.REQUIRED : undefined;
  }
  if (field.eq === null) return field.err ?? MSG.eq('null');
  if (field.type === 'record' && field.abstract === true) {
    return 'error in schema definition: abstract field was not specialized';
  }
  switch (field.type) {
    case 'array':
    case 'set': {
      if (!Array.isArray(value)) return field.type === 'array' ? MSG.ARRAY : MSG.SET;
      const err = validateElements(field, value);
      if (err !== undefined) return err;
      break;
    }
    case 'map': {
      if (!isPlainObject(value)) return MSG.MAP;
      const err = validateMap(field, value);
      if (err !== undefined) return err;
      break;
    }
    case 'record': {
      if (!isPlainObject(value)) return MSG.RECORD;
      const errs = validateRecord(field, value);
      if (errs !== undefined) return errs;
      break;
    }
    case 'foreign': {
      if (!isPlainObject(value) || value.id === undefined) return { id: MSG.MISSING_PK };
      if (value.id === null) return { id: MSG.REQUIRED };
      if (typeof value.id !== 'string') return { id: MSG.STRING };
      if (!UUID_RE.test(value.id)) return { id: MSG.UUID };
      break;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return MSG.INTEGER;
      break;
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) return MSG.NUMBER;
      break;
    case 'string':
      if (typeof value !== 'string') return MSG.STRING;
      // Kong: a reference stands for the value, which only the data plane will see.
      if (field.referenceable === true && isReference(value)) return undefined;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return MSG.BOOLEAN;
      break;
  }
  const err = runValidators(field, value);
  return err === undefined ? undefined : (field.err ?? err);
}
