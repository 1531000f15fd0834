/**
 * Kong's MetaSubSchema for plugin schemas (kong/db/schema/metaschema.lua), checked when a plugin
 * loads: a field without a type or with an unknown one, an attribute its type cannot have or no
 * field type has at all, a missing `elements` / `keys` / `values` / `fields`, or a pattern that is
 * not a RegExp stops the node with the field's path, instead of failing on the first config an
 * Admin API client sends. Pure: returns the problems, `path: message`.
 */
import { MSG } from './messages.ts';

const TYPES = ['array', 'boolean', 'foreign', 'integer', 'map', 'number', 'record', 'set', 'string'] as const;

/** Attributes any field may have (Turnpike's descriptor language, types.ts). */
const COMMON = new Set([
  'type',
  'description',
  'required',
  'default',
  'auto',
  'unique',
  'indexed',
  'immutable',
  'eq',
  'ne',
  'err',
  'one_of',
  'not_one_of',
  'custom_validator',
  'sensitive',
  'virtual',
]);

/** Kong's attribute_types, for the attributes Turnpike knows: which field types may carry each. */
const BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  uuid: ['string'],
  referenceable: ['string'],
  len_eq: ['string', 'array', 'set', 'map'],
  len_min: ['string', 'array', 'set', 'map'],
  len_max: ['string', 'array', 'set', 'map'],
  starts_with: ['string'],
  match: ['string'],
  not_match: ['string'],
  match_none: ['string'],
  match_all: ['string'],
  match_any: ['string'],
  between: ['integer', 'number'],
  gt: ['integer', 'number'],
  timestamp: ['integer', 'number'],
  elements: ['array', 'set'],
  contains: ['array', 'set'],
  mutually_exclusive_subsets: ['array', 'set'],
  keys: ['map'],
  values: ['map'],
  fields: ['record'],
  entity_checks: ['record'],
  abstract: ['record'],
  shorthand_fields: ['record'],
  reference: ['foreign'],
  on_delete: ['foreign'],
};

const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  array: ['elements'],
  set: ['elements'],
  map: ['keys', 'values'],
  record: ['fields'],
  foreign: ['reference'],
};

const ENTITY_CHECKS = new Set([
  'at_least_one_of',
  'only_one_of',
  'mutually_required',
  'mutually_exclusive',
  'distinct',
  'conditional',
  'conditional_at_least_one_of',
  'custom_entity_check',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkPatterns(path: string, field: Record<string, unknown>, problems: string[]): void {
  for (const attr of ['match', 'not_match']) {
    if (field[attr] !== undefined && !(field[attr] instanceof RegExp)) {
      problems.push(`${path}.${attr}: must be a RegExp (patterns are JavaScript regular expressions)`);
    }
  }
  for (const attr of ['match_none', 'match_all']) {
    const rules = field[attr];
    if (rules === undefined) continue;
    if (!Array.isArray(rules) || rules.some((r) => !isObject(r) || !(r.pattern instanceof RegExp))) {
      problems.push(`${path}.${attr}: must be an array of { pattern: RegExp, err: string }`);
    }
  }
}

function checkField(path: string, field: unknown, problems: string[]): void {
  if (!isObject(field)) {
    problems.push(`${path}: must be a field descriptor (an object with a type)`);
    return;
  }
  const type = field.type;
  if (type === undefined) {
    problems.push(`${path}.type: missing type declaration`);
    return;
  }
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    problems.push(`${path}.type: unknown type ${JSON.stringify(type)} (${MSG.oneOf(TYPES)})`);
    return;
  }
  for (const attr of Object.keys(field)) {
    if (COMMON.has(attr)) continue;
    const types = BY_TYPE[attr];
    if (types === undefined) problems.push(`${path}.${attr}: unknown field attribute`);
    else if (!types.includes(type))
      problems.push(`${path}: field of type '${type}' cannot have attribute '${attr}'`);
  }
  for (const attr of REQUIRED[type] ?? []) {
    if (field[attr] === undefined && !(type === 'record' && field.abstract === true)) {
      problems.push(`${path}: field of type '${type}' must declare '${attr}'`);
    }
  }
  if (field.one_of !== undefined && !Array.isArray(field.one_of))
    problems.push(`${path}.one_of: must be an array`);
  checkPatterns(path, field, problems);
  for (const nested of ['elements', 'keys', 'values'] as const) {
    if (field[nested] !== undefined) checkField(`${path}.${nested}`, field[nested], problems);
  }
  if (type === 'record' && field.fields !== undefined) checkRecord(path, field, problems);
}

function checkRecord(path: string, record: Record<string, unknown>, problems: string[]): void {
  const fields = record.fields;
  if (!isObject(fields)) {
    problems.push(`${path}.fields: must be an object of field descriptors`);
    return;
  }
  for (const [name, field] of Object.entries(fields)) checkField(`${path}.${name}`, field, problems);
  checkEntityChecks(`${path}.entity_checks`, record.entity_checks, problems);
}

function checkEntityChecks(path: string, checks: unknown, problems: string[]): void {
  if (checks === undefined) return;
  if (!Array.isArray(checks)) {
    problems.push(`${path}: must be an array`);
    return;
  }
  checks.forEach((check, i) => {
    const keys = isObject(check) ? Object.keys(check) : [];
    if (keys.length !== 1 || !ENTITY_CHECKS.has(keys[0]!)) {
      problems.push(`${path}[${i}]: ${MSG.oneOf([...ENTITY_CHECKS])}`);
    }
  });
}

/**
 * The problems of a plugin's `schema` export, each `path: message` with the field's path as the
 * Admin API names it (`config.greeting.type`); empty when it is sound.
 */
export function checkPluginSchema(schema: unknown, name: string): string[] {
  const problems: string[] = [];
  if (!isObject(schema)) return ['schema: must be an object with name and fields'];
  if (schema.name !== name) problems.push(`name: is ${JSON.stringify(schema.name)}, expected '${name}'`);
  const fields = schema.fields;
  if (!isObject(fields)) return [...problems, 'fields: must be an object with a config record'];
  const config = fields.config;
  if (!isObject(config) || config.type !== 'record') {
    problems.push('fields.config: must be a record field (configRecord({...}))');
  }
  for (const [field, descriptor] of Object.entries(fields)) {
    if (!['config', 'consumer', 'route', 'service', 'protocols'].includes(field)) {
      problems.push(
        `fields.${field}: a plugin schema may only narrow config, consumer, route, service and protocols`,
      );
      continue;
    }
    checkField(field, descriptor, problems);
  }
  checkEntityChecks('entity_checks', schema.entity_checks, problems);
  return problems;
}
