/**
 * Form values ↔ request bodies. A form holds the entity as JSON (nested records as objects),
 * with the text of the fields being typed kept as typed: a number field holding "abc" is sent
 * as "abc", so that the Admin API's own message ("expected an integer") is what the person sees.
 */
import { type FieldSpec, fieldsOf, isEditable, type KongField } from './kong-schema.ts';

export type Values = Record<string, unknown>;

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0)
  );
}

/** The form's starting values: the entity being edited, else each field's default. */
export function initialValues(specs: readonly FieldSpec[], entity?: Values): Values {
  const out: Values = {};
  for (const spec of specs) {
    const current = entity?.[spec.name];
    if (spec.field.type === 'record' && spec.field.fields !== undefined) {
      const nested = typeof current === 'object' && current !== null ? (current as Values) : undefined;
      out[spec.name] = initialValues(fieldsOf(spec.field.fields), nested);
    } else if (entity !== undefined) {
      out[spec.name] = current ?? null;
    } else if (spec.field.default !== undefined && spec.field.default !== null) {
      out[spec.name] = structuredClone(spec.field.default);
    }
  }
  return out;
}

function bodyOfRecord(
  specs: readonly FieldSpec[],
  values: Values,
  mode: 'create' | 'edit',
  top: boolean,
): Values {
  const out: Values = {};
  for (const spec of specs) {
    if (top && !isEditable(spec)) continue;
    let value = values[spec.name];
    if (
      spec.field.type === 'record' &&
      spec.field.fields !== undefined &&
      typeof value === 'object' &&
      value !== null
    ) {
      value = bodyOfRecord(fieldsOf(spec.field.fields), value as Values, mode, false);
    }
    if (isEmpty(value)) {
      // On an edit, a field emptied is cleared; a record whose fields are all empty is left as is.
      if (mode === 'edit' && spec.field.type !== 'record') out[spec.name] = null;
      continue;
    }
    out[spec.name] = value;
  }
  return out;
}

/** The request body for a create (empty fields left out) or an edit (emptied fields null). */
export function toBody(specs: readonly FieldSpec[], values: Values, mode: 'create' | 'edit'): Values {
  return bodyOfRecord(specs, values, mode, true);
}

/** A number typed as text: the number when it is one, else the text (for the API to refuse). */
export function parseNumber(text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/** One entry per line (or comma, for tags). */
export function parseList(text: string, separator: 'line' | 'comma'): string[] {
  return text
    .split(separator === 'line' ? /\r?\n/ : /[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function listText(value: unknown, separator: 'line' | 'comma'): string {
  return Array.isArray(value) ? value.map(String).join(separator === 'line' ? '\n' : ', ') : '';
}

/** `name: value` lines; with `values` an array type, the value is a comma-separated list. */
export function parseMap(text: string, field: KongField): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (line.trim() === '') continue;
    const key = (colon === -1 ? line : line.slice(0, colon)).trim();
    const raw = colon === -1 ? '' : line.slice(colon + 1).trim();
    const values = field.values?.type;
    out[key] =
      values === 'array' || values === 'set'
        ? parseList(raw, 'comma')
        : values === 'integer' || values === 'number'
          ? parseNumber(raw)
          : raw;
  }
  return out;
}

export function mapText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join('\n');
}

/** Sets `value` at `path` in a copy of `values`. */
export function setAt(values: Values, path: readonly string[], value: unknown): Values {
  const [head, ...rest] = path;
  if (head === undefined) return values;
  if (rest.length === 0) return { ...values, [head]: value };
  const child = values[head];
  return {
    ...values,
    [head]: setAt(typeof child === 'object' && child !== null ? (child as Values) : {}, rest, value),
  };
}
