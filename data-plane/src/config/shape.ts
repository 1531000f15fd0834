/**
 * The cheap shape check of a synced entity, compiled once per entity type from its definition in
 * `@turnpike/shared/schema`. The control plane already validated every entity in full, so only
 * what guards against version skew and corruption is checked: JSON kinds, `one_of`, `between`,
 * foreign keys as `{ id }`, required fields present. Regexes, custom validators and entity
 * checks are not run again, and fields the schema does not know are left alone.
 *
 * A required field that is absent but has a default gets it (Kong's handle_missing_field), so a
 * reader can rely on it; the entity is then copied, never changed in place. The control plane
 * sends entities complete, so in practice nothing is copied.
 */

import {
  ENTITIES,
  type EntityDefinition,
  type EntityName,
  type FieldDescriptor,
  type FieldMap,
} from '@turnpike/shared/schema';

/** Thrown inside the check; the decoder turns it into a SyncedEntityError naming the entity. */
export class ShapeFailure {
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    this.field = field;
    this.reason = reason;
  }
}

/** Checks one value at `at` (its path); returns it, or a completed copy. */
type Check = (value: unknown, at: string) => unknown;

function fail(at: string, reason: string): never {
  throw new ShapeFailure(at, reason);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathOf(at: string, name: string): string {
  return at === '' ? name : `${at}.${name}`;
}

function oneOf(values: readonly (string | number)[] | undefined): ((value: unknown) => boolean) | undefined {
  if (values === undefined) return undefined;
  const allowed = new Set<unknown>(values);
  return (value) => allowed.has(value);
}

function numberCheck(field: Extract<FieldDescriptor, { type: 'integer' | 'number' }>): Check {
  const integer = field.type === 'integer';
  const [low, high] = field.between ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const allowed = oneOf(field.one_of);
  return (value, at) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(at, 'expected a number');
    if (integer && !Number.isInteger(value)) fail(at, 'expected an integer');
    if (value < low || value > high) fail(at, `value should be between ${low} and ${high}`);
    if (allowed !== undefined && !allowed(value)) fail(at, `expected one of: ${field.one_of?.join(', ')}`);
    return value;
  };
}

function stringCheck(field: Extract<FieldDescriptor, { type: 'string' }>): Check {
  const allowed = oneOf(field.one_of);
  return (value, at) => {
    if (typeof value !== 'string') fail(at, 'expected a string');
    if (allowed !== undefined && !allowed(value)) fail(at, `expected one of: ${field.one_of?.join(', ')}`);
    return value;
  };
}

/** An array element or map value: null only where the element is not required. */
function elementCheck(field: FieldDescriptor): Check {
  const check = fieldCheck(field);
  const required = field.required === true;
  return (value, at) => {
    if (value === null || value === undefined) return required ? fail(at, 'required field missing') : value;
    return check(value, at);
  };
}

function arrayCheck(field: Extract<FieldDescriptor, { type: 'array' | 'set' }>): Check {
  const element = elementCheck(field.elements);
  return (value, at) => {
    if (!Array.isArray(value)) fail(at, 'expected an array');
    let out = value;
    for (let i = 0; i < value.length; i++) {
      const checked = element(value[i], `${at}[${i}]`);
      if (checked === value[i]) continue;
      if (out === value) out = value.slice();
      out[i] = checked;
    }
    return out;
  };
}

function mapCheck(field: Extract<FieldDescriptor, { type: 'map' }>): Check {
  const element = elementCheck(field.values);
  return (value, at) => {
    if (!isPlainObject(value)) fail(at, 'expected a map');
    let out = value;
    for (const key of Object.keys(value)) {
      const checked = element(value[key], pathOf(at, key));
      if (checked === value[key]) continue;
      if (out === value) out = { ...value };
      out[key] = checked;
    }
    return out;
  };
}

function fieldCheck(field: FieldDescriptor): Check {
  switch (field.type) {
    case 'string':
      return stringCheck(field);
    case 'integer':
    case 'number':
      return numberCheck(field);
    case 'boolean':
      return (value, at) => (typeof value === 'boolean' ? value : fail(at, 'expected a boolean'));
    case 'array':
    case 'set':
      return arrayCheck(field);
    case 'map':
      return mapCheck(field);
    case 'record': {
      // An abstract record (a plugin's config) is checked by the plugin's own schema later.
      if (field.abstract === true) {
        return (value, at) => (isPlainObject(value) ? value : fail(at, 'expected a record'));
      }
      const fields = fieldsCheck(field.fields);
      return (value, at) => (isPlainObject(value) ? fields(value, at) : fail(at, 'expected a record'));
    }
    case 'foreign':
      return (value, at) =>
        isPlainObject(value) && typeof value.id === 'string' && value.id !== ''
          ? value
          : fail(at, 'expected a foreign key { id }');
  }
}

interface FieldPlan {
  readonly name: string;
  readonly check: Check;
  readonly required: boolean;
  readonly fallback: unknown;
}

/** A set of fields: each present one checked, absent required ones defaulted or refused. */
function fieldsCheck(
  fields: FieldMap,
): (value: Record<string, unknown>, at: string) => Record<string, unknown> {
  const plans: FieldPlan[] = [];
  for (const [name, field] of Object.entries(fields)) {
    if (field.virtual === true) continue;
    plans.push({
      name,
      check: fieldCheck(field),
      required: field.required === true,
      fallback: field.default,
    });
  }
  return (value, at) => {
    let out = value;
    for (const plan of plans) {
      const present = value[plan.name];
      if (present === undefined || present === null) {
        if (!plan.required) continue;
        if (present === null || plan.fallback === undefined || plan.fallback === null) {
          fail(pathOf(at, plan.name), 'required field missing');
        }
        if (out === value) out = { ...value };
        out[plan.name] = structuredClone(plan.fallback);
        continue;
      }
      const checked = plan.check(present, pathOf(at, plan.name));
      if (checked === present) continue;
      if (out === value) out = { ...value };
      out[plan.name] = checked;
    }
    return out;
  };
}

/** Checks an entity's fields; returns it, or a completed copy. */
export type EntityCheck = (entity: Record<string, unknown>) => Record<string, unknown>;

/** The fields of a definition with those of one subschema in their place (routes by protocol). */
function withSubschema(def: EntityDefinition, name: string): FieldMap {
  const sub = def.subschemas?.[name];
  if (sub === undefined) return def.fields;
  const fields: Record<string, FieldDescriptor> = {};
  for (const [key, field] of Object.entries(def.fields)) fields[key] = sub.fields[key] ?? field;
  return fields;
}

function entityCheck(def: EntityDefinition): EntityCheck {
  const base = fieldsCheck(def.fields);
  const key = def.subschema_key;
  const subschemas = def.subschemas;
  if (key === undefined || subschemas === undefined) return (entity) => base(entity, '');
  const bySubschema = new Map<string, ReturnType<typeof fieldsCheck>>();
  for (const name of Object.keys(subschemas)) bySubschema.set(name, fieldsCheck(withSubschema(def, name)));
  return (entity) => {
    // As validateEntity: a set key (routes.protocols) selects its first member's subschema.
    const selector = entity[key];
    const names = Array.isArray(selector) ? selector : [selector];
    for (const name of names) {
      const check = typeof name === 'string' ? bySubschema.get(name) : undefined;
      if (check !== undefined) return check(entity, '');
    }
    return base(entity, '');
  };
}

const CHECKS = new Map<EntityName, EntityCheck>();

/** The shape check of one entity type, compiled on first use. */
export function shapeCheck(type: EntityName): EntityCheck {
  let check = CHECKS.get(type);
  if (check === undefined) {
    check = entityCheck(ENTITIES[type] as EntityDefinition);
    CHECKS.set(type, check);
  }
  return check;
}
