/**
 * A Kong JavaScript plugin's `Schema` — Kong's field list, an array of one-key objects
 * (`[{ message: { type: 'string' } }]`), records' `fields` likewise — as a Turnpike plugin schema,
 * wrapped as Kong's plugin server wraps it (`{ name, fields: [{ config: { type: 'record', … } }] }`).
 * Attributes pass through as they are: the loader's schema check (Kong's metaschema) then refuses
 * what Turnpike cannot honour, with the field's path (a Lua pattern in `match`, `referenceable`…).
 */
import type { PluginSchema } from '../../../src/schema/index.ts';

type Descriptor = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kong's `{ a = {...} }, { b = {...} }` list as an ordered field map; throws naming the entry. */
function fieldMap(list: unknown, path: string): Record<string, Descriptor> {
  if (!Array.isArray(list))
    throw new TypeError(`${path}: Kong's fields must be an array of { name: field } entries`);
  const out: Record<string, Descriptor> = {};
  list.forEach((entry, i) => {
    const keys = isObject(entry) ? Object.keys(entry) : [];
    if (keys.length !== 1)
      throw new TypeError(`${path}[${i}]: each entry must be an object with exactly one field`);
    const name = keys[0]!;
    out[name] = descriptor((entry as Record<string, unknown>)[name], `${path}.${name}`);
  });
  return out;
}

function descriptor(field: unknown, path: string): Descriptor {
  if (!isObject(field)) return field as Descriptor;
  const out: Descriptor = { ...field };
  if (field.type === 'record' && field.fields !== undefined) out.fields = fieldMap(field.fields, path);
  for (const nested of ['elements', 'keys', 'values']) {
    if (field[nested] !== undefined) out[nested] = descriptor(field[nested], `${path}.${nested}`);
  }
  return out;
}

/** The plugin schema for a Kong JS plugin named `name` with `Schema` (absent: no config fields). */
export function schemaFromKong(name: string, kongSchema: unknown): PluginSchema {
  const fields = fieldMap(kongSchema ?? [], 'Schema');
  return {
    name,
    fields: { config: { type: 'record', required: true, fields } },
  } as unknown as PluginSchema;
}
