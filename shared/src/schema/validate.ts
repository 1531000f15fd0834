/**
 * validateEntity: an Admin API / declarative input → the entity to store, or Kong's field
 * errors. Pure apart from generated ids, keys and the clock (pass `now` to pin it).
 */
import type { FieldErrors } from '../errors.ts';
import { isPlainObject } from './field.ts';
import { MSG } from './messages.ts';
import { type PluginSchemaLookup, pluginSubschema } from './plugin-schema.ts';
import { type Context, mergeValues, processAutoFields, validateShape } from './record.ts';
import type { EntityDefinition, FieldMap, Subschema } from './types.ts';

export interface ValidateEntityOptions {
  readonly operation: Context;
  /** The plugin schemas (plugins entity only). Without it, every plugin is "not enabled". */
  readonly pluginSchemas?: PluginSchemaLookup;
  /**
   * For updates: the stored entity. Kong validates an update merged onto it (its DAO reads
   * before writing); without it only the given fields are checked.
   */
  readonly current?: Record<string, unknown>;
  /** Seconds since the epoch for created_at / updated_at; default: the clock. */
  readonly now?: number;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; fields: FieldErrors };

function subschemaKeyValue(def: EntityDefinition, data: Record<string, unknown>): unknown {
  return def.subschema_key === undefined ? undefined : data[def.subschema_key];
}

function findSubschema(
  def: EntityDefinition,
  key: unknown,
  plugins: PluginSchemaLookup | undefined,
): Subschema | undefined {
  if (def.name === 'plugins') {
    if (typeof key !== 'string') return undefined;
    const schema = plugins?.(key);
    return schema === undefined ? undefined : pluginSubschema(schema);
  }
  if (typeof key === 'string') return def.subschemas?.[key];
  // A set key (routes.protocols) selects the subschema of its first member that has one.
  if (Array.isArray(key)) {
    for (const k of key)
      if (typeof k === 'string' && def.subschemas?.[k] !== undefined) return def.subschemas[k];
  }
  return undefined;
}

function withSubschema(fields: FieldMap, sub: Subschema | undefined): FieldMap {
  if (sub === undefined) return fields;
  const out: Record<string, FieldMap[string]> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = sub.fields[k] ?? v;
  return out;
}

/** Expands shorthand fields (services.url); errors when one is not a string. */
function expandShorthands(def: EntityDefinition, input: Record<string, unknown>): FieldErrors | undefined {
  const errors: FieldErrors = {};
  for (const [name, shorthand] of Object.entries(def.shorthand_fields ?? {})) {
    const value = input[name];
    if (value === undefined) continue;
    delete input[name];
    if (value === null) continue;
    if (typeof value !== 'string') {
      errors[name] = MSG.STRING;
      continue;
    }
    for (const [k, v] of Object.entries(shorthand.func(value) ?? {})) {
      const existing = input[k];
      input[k] = isPlainObject(v) && isPlainObject(existing) ? { ...existing, ...v } : v;
    }
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

function applyTransformations(
  def: EntityDefinition,
  entity: Record<string, unknown>,
): Record<string, unknown> {
  let out = entity;
  for (const tr of def.transformations ?? []) {
    if (tr.input.every((f) => typeof entity[f] === 'string')) out = { ...out, ...tr.on_write(out) };
  }
  return out;
}

/**
 * Validates `input` for an insert, upsert (defaults filled, ids generated) or update (only the
 * given fields, unless `current` is passed). Unknown fields are errors, as in Kong.
 */
export function validateEntity<T = Record<string, unknown>>(
  def: EntityDefinition,
  input: unknown,
  options: ValidateEntityOptions,
): ValidationResult<T> {
  if (!isPlainObject(input)) return { ok: false, fields: { '@entity': [MSG.BAD_INPUT] } };
  const updating = options.operation === 'update';
  const now = options.now ?? Date.now() / 1000;
  const data: Record<string, unknown> = structuredClone(input);
  const shorthandErrors = expandShorthands(def, data);
  if (shorthandErrors !== undefined) return { ok: false, fields: shorthandErrors };

  // Defaults come from the subschema the input selects (grpc routes default strip_path to false).
  const inputSub = findSubschema(def, subschemaKeyValue(def, data), options.pluginSchemas);
  let entity = processAutoFields(withSubschema(def.fields, inputSub), data, options.operation, { now });
  if (updating && options.current !== undefined) {
    // Kong's merge_values walks `each_field(bottom)`: the stored entity's subschema decides the
    // fields, so a plugin's `config` (abstract in the plugins entity) merges as the plugin's record.
    const storedSub = findSubschema(def, subschemaKeyValue(def, options.current), options.pluginSchemas);
    entity = mergeValues(withSubschema(def.fields, storedSub), entity, options.current);
  }

  let sub: Subschema | undefined;
  if (def.subschema_key !== undefined) {
    const key = entity[def.subschema_key];
    const missing = key === undefined || key === null;
    if (missing && !(updating && key === undefined)) {
      return { ok: false, fields: { [def.subschema_key]: MSG.REQUIRED } };
    }
    if (!missing) {
      sub = findSubschema(def, key, options.pluginSchemas);
      if (sub === undefined) {
        const shown = typeof key === 'string' ? key : String((key as unknown[])[0]);
        const message = def.subschema_error?.replace('%s', shown) ?? MSG.subschemaUnknown(shown);
        return { ok: false, fields: { [def.subschema_key]: message } };
      }
    }
  }

  const checks = [...(def.entity_checks ?? []), ...(sub?.entity_checks ?? [])];
  const errors = validateShape(withSubschema(def.fields, sub), checks, entity, {
    fullCheck: !updating,
    updating,
  });
  if (errors !== undefined) return { ok: false, fields: errors };
  return { ok: true, value: applyTransformations(def, entity) as T };
}
