/**
 * Kong accepts application/x-www-form-urlencoded (and multipart) bodies: `methods=GET&methods=POST`,
 * `methods[]=GET`, `hosts[1]=a` (1-based, as Lua), `headers.x-foo=bar`, `config.minute=5`,
 * `service.id=…`. This turns such a flat map into the JSON the validator takes, typing the
 * strings by the schema as Kong's api/arguments.lua infers them.
 */
import { isPlainObject } from './field.ts';
import { type PluginSchemaLookup, pluginSubschema } from './plugin-schema.ts';
import type { EntityDefinition, FieldDescriptor, FieldMap } from './types.ts';

export type FlatForm = Readonly<Record<string, string | readonly string[]>>;

type Segment = string | number | 'append';

/** `a.b[c][2][]` → ['a', 'b', 'c', 1, 'append'] (numbers 0-based). */
function parseKey(key: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of key.split('.')) {
    const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(part);
    if (m === null) {
      segments.push(part);
      continue;
    }
    if (m[1] !== '') segments.push(m[1]!);
    for (const [, inner] of m[2]!.matchAll(/\[([^\]]*)\]/g)) {
      if (inner === '') segments.push('append');
      else if (/^\d+$/.test(inner!)) segments.push(Math.max(Number(inner) - 1, 0));
      else segments.push(inner!);
    }
  }
  return segments;
}

type Tree = Record<string, unknown>;

function assign(root: Tree, segments: Segment[], value: string | readonly string[]): void {
  let cur: unknown = root;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    const container = cur as Record<string | number, unknown> & unknown[];
    if (seg === 'append') {
      if (!Array.isArray(cur)) return;
      if (last) {
        container.push(...(Array.isArray(value) ? value : [value]));
        return;
      }
      const next = {};
      container.push(next);
      cur = next;
      continue;
    }
    if (last) {
      container[seg] = value;
      return;
    }
    const nextSeg = segments[i + 1]!;
    if (container[seg] === undefined || typeof container[seg] !== 'object') {
      container[seg] = typeof nextSeg === 'number' || nextSeg === 'append' ? [] : {};
    }
    cur = container[seg];
  }
}

function inferScalar(value: string, field: FieldDescriptor | undefined): unknown {
  if (value === '') return null;
  if (field === undefined) return value;
  if (field.type === 'integer' || field.type === 'number') {
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) ? n : value;
  }
  if (field.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (field.type === 'array' || field.type === 'set') return [inferScalar(value, field.elements)];
  return value;
}

/** Types a decoded value by its descriptor. */
function infer(value: unknown, field: FieldDescriptor | undefined): unknown {
  if (typeof value === 'string') return inferScalar(value, field);
  if (Array.isArray(value)) {
    const compact = value.filter((v) => v !== undefined);
    if (field !== undefined && field.type !== 'array' && field.type !== 'set') {
      // A repeated scalar key: Kong keeps the last value.
      return infer(compact[compact.length - 1], field);
    }
    const elements = field?.type === 'array' || field?.type === 'set' ? field.elements : undefined;
    return compact.map((v) => infer(v, elements));
  }
  if (isPlainObject(value)) {
    if (field?.type === 'record') return inferRecord(value, field.fields);
    if (field?.type === 'map') {
      const out: Tree = {};
      for (const [k, v] of Object.entries(value)) out[k] = infer(v, field.values);
      return out;
    }
    if (field?.type === 'foreign') return inferRecord(value, { id: { type: 'string' } });
    if (field?.type === 'array' || field?.type === 'set') return infer(Object.values(value), field);
    return value;
  }
  return value;
}

function inferRecord(value: Tree, fields: FieldMap): Tree {
  const out: Tree = {};
  for (const [k, v] of Object.entries(value)) out[k] = infer(v, fields[k]);
  return out;
}

/** Turns a decoded form body into typed JSON for `validateEntity`. */
export function coerceFormInput(
  def: EntityDefinition,
  flat: FlatForm,
  options: { readonly pluginSchemas?: PluginSchemaLookup } = {},
): Record<string, unknown> {
  const tree: Tree = {};
  for (const [key, value] of Object.entries(flat)) assign(tree, parseKey(key), value);
  let fields: FieldMap = def.fields;
  if (def.name === 'plugins' && typeof tree.name === 'string') {
    const schema = options.pluginSchemas?.(tree.name);
    if (schema !== undefined) fields = { ...fields, ...pluginSubschema(schema).fields };
  }
  const shorthands: Record<string, FieldDescriptor> = {};
  for (const name of Object.keys(def.shorthand_fields ?? {})) shorthands[name] = { type: 'string' };
  return inferRecord(tree, { ...fields, ...shorthands });
}
