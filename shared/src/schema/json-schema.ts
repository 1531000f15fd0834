/**
 * The entity schemas for the outside: JSON Schema (fastify routes, OpenAPI) and the body of
 * Kong's `GET /schemas/{entity}`.
 */
import type { PluginSchema } from './plugin-schema.ts';
import { pluginSubschema } from './plugin-schema.ts';
import type { EntityCheck, EntityDefinition, FieldDescriptor, FieldMap } from './types.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonSchema = { [k: string]: Json };

function nullable(field: FieldDescriptor): boolean {
  if (field.required === true || field.auto === true) return false;
  return field.default === undefined || field.default === null;
}

/** One line for docs: the type, the constraints, the default. */
function describe(field: FieldDescriptor): string {
  const parts: string[] = [
    field.description ?? `${field.type}${field.type === 'foreign' ? ` (${field.reference})` : ''}`,
  ];
  if (field.one_of !== undefined) parts.push(`one of: ${field.one_of.join(', ')}`);
  if ('between' in field && field.between !== undefined)
    parts.push(`between ${field.between[0]} and ${field.between[1]}`);
  if (field.required === true) parts.push('required');
  if (field.default !== undefined) parts.push(`default: ${JSON.stringify(field.default)}`);
  return `${parts.join('; ')}.`;
}

function typed(field: FieldDescriptor): JsonSchema {
  let schema: JsonSchema;
  switch (field.type) {
    case 'string':
      schema = { type: 'string' };
      if (field.uuid === true) schema.format = 'uuid';
      if (field.one_of !== undefined) schema.enum = [...field.one_of];
      break;
    case 'integer':
    case 'number':
      schema = { type: field.type };
      if (field.between !== undefined) {
        schema.minimum = field.between[0];
        schema.maximum = field.between[1];
      }
      if (field.one_of !== undefined) schema.enum = [...field.one_of];
      break;
    case 'boolean':
      schema = { type: 'boolean' };
      break;
    case 'array':
    case 'set':
      schema = { type: 'array', items: typed(field.elements) };
      if (field.type === 'set') schema.uniqueItems = true;
      break;
    case 'map':
      schema = { type: 'object', additionalProperties: typed(field.values) };
      break;
    case 'record':
      schema =
        field.abstract === true
          ? { type: 'object', additionalProperties: true }
          : { type: 'object', properties: responseProperties(field.fields) };
      break;
    case 'foreign':
      schema = { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } };
      break;
  }
  schema.description = describe(field);
  if (nullable(field)) schema.type = [schema.type as string, 'null'];
  return schema;
}

function responseProperties(fields: FieldMap): JsonSchema {
  const props: JsonSchema = {};
  for (const [name, field] of Object.entries(fields)) if (field.virtual !== true) props[name] = typed(field);
  return props;
}

/**
 * `request`: annotations only (no type, enum, default or required), so that fastify lets every
 * body through to validateEntity and clients get Kong's messages, not Ajv's. `response`: the
 * full typed shape of a stored entity, for serialisation and OpenAPI.
 */
export function entityJsonSchema(
  def: EntityDefinition,
  mode: 'request' | 'response' = 'request',
): JsonSchema {
  if (mode === 'response') {
    return {
      $id: `turnpike/${def.name}`,
      title: def.name,
      type: 'object',
      properties: responseProperties(def.fields),
    };
  }
  const props: JsonSchema = {};
  for (const [name, field] of Object.entries(def.fields)) {
    const p: JsonSchema = { description: describe(field) };
    if (field.auto === true && field.type !== 'string') p.readOnly = true;
    if (field.sensitive !== undefined) p.writeOnly = field.sensitive === 'hash';
    props[name] = p;
  }
  for (const name of Object.keys(def.shorthand_fields ?? {})) {
    props[name] = { description: 'shorthand: expanded into other fields on write.' };
  }
  return { $id: `turnpike/${def.name}.request`, title: def.name, properties: props };
}

function serialise(value: unknown): Json | undefined {
  if (value === undefined || typeof value === 'function') return undefined;
  if (value instanceof RegExp) return value.source;
  if (Array.isArray(value)) return value.map((v) => serialise(v) ?? null);
  if (typeof value === 'object' && value !== null) {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      const s = serialise(v);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return value as Json;
}

function fieldDocument(field: FieldDescriptor): Json {
  const {
    sensitive,
    virtual: _virtual,
    custom_validator: _cv,
    ...rest
  } = field as FieldDescriptor & {
    fields?: FieldMap;
  };
  const doc = serialise(rest) as { [k: string]: Json };
  if (sensitive === 'encrypt') doc.encrypted = true;
  if ('elements' in field) doc.elements = fieldDocument(field.elements);
  if ('keys' in field) doc.keys = fieldDocument(field.keys);
  if ('values' in field) doc.values = fieldDocument(field.values);
  if (field.type === 'record') {
    doc.fields = fieldsDocument(field.fields);
    if (field.entity_checks !== undefined) doc.entity_checks = checksDocument(field.entity_checks);
    if (field.shorthand_fields !== undefined) {
      // Kong lists them as `{ name: descriptor }` entries, the expansion function left out.
      doc.shorthand_fields = Object.entries(field.shorthand_fields).map(([name, { func: _f, ...sh }]) => ({
        [name]: fieldDocument(sh as FieldDescriptor),
      }));
    }
  }
  return doc;
}

function fieldsDocument(fields: FieldMap): Json[] {
  return Object.entries(fields)
    .filter(([, f]) => f.virtual !== true)
    .map(([name, f]) => ({ [name]: fieldDocument(f) }));
}

function checksDocument(checks: readonly EntityCheck[]): Json[] {
  return checks.map((c) => serialise(c) ?? null);
}

/** The body of Kong's `GET /schemas/{entity}`: ordered fields and the entity checks. */
export function kongSchemaDocument(def: EntityDefinition): { fields: Json[]; entity_checks?: Json[] } {
  const doc: { fields: Json[]; entity_checks?: Json[] } = { fields: fieldsDocument(def.fields) };
  if (def.entity_checks !== undefined) doc.entity_checks = checksDocument(def.entity_checks);
  return doc;
}

/** The body of Kong's `GET /schemas/plugins/{name}`. */
export function pluginSchemaDocument(schema: PluginSchema): { fields: Json[]; entity_checks?: Json[] } {
  const sub = pluginSubschema(schema);
  const doc: { fields: Json[]; entity_checks?: Json[] } = { fields: fieldsDocument(sub.fields) };
  if (sub.entity_checks !== undefined) doc.entity_checks = checksDocument(sub.entity_checks);
  return doc;
}
