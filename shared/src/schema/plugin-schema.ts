/**
 * Building blocks for a plugin's `schema`: the same field descriptors as entities, so the
 * plugins entity validates `config` with Kong-shaped errors under `fields.config`.
 *
 *   export const schema = definePluginSchema({
 *     name: 'rate-limiting',
 *     fields: {
 *       consumer: noConsumer,
 *       protocols: protocolsHttp(),
 *       config: configRecord({ minute: { type: 'number', gt: 0 } }, [{ at_least_one_of: ['minute'] }]),
 *     },
 *   });
 */
import type {
  EntityCheck,
  FieldDescriptor,
  FieldMap,
  ForeignField,
  RecordField,
  RecordOf,
  Subschema,
} from './types.ts';

export interface PluginSchema {
  readonly name: string;
  /** `config` is required; the others narrow the plugins entity's fields for this plugin. */
  readonly fields: {
    readonly config: RecordField;
    readonly consumer?: FieldDescriptor;
    readonly route?: FieldDescriptor;
    readonly service?: FieldDescriptor;
    readonly protocols?: FieldDescriptor;
  };
  /** Checks over the whole plugin entity; name config fields as `config.<field>`. */
  readonly entity_checks?: readonly EntityCheck[];
}

/** Looks up a plugin's schema by name; undefined when the plugin is not enabled. */
export type PluginSchemaLookup = (name: string) => PluginSchema | undefined;

export function definePluginSchema<const S extends PluginSchema>(schema: S): S {
  return schema;
}

/** The `config` record of a plugin schema. */
export function configRecord<const F extends FieldMap>(
  fields: F,
  entity_checks?: readonly EntityCheck[],
): {
  readonly type: 'record';
  readonly required: true;
  readonly fields: F;
  readonly entity_checks?: readonly EntityCheck[];
} {
  return entity_checks === undefined
    ? { type: 'record', required: true, fields }
    : { type: 'record', required: true, fields, entity_checks };
}

/** The plugin cannot be scoped to a consumer / route / service (Kong's typedefs.no_*). */
export const noConsumer = {
  type: 'foreign',
  reference: 'consumers',
  eq: null,
} as const satisfies ForeignField;
export const noRoute = { type: 'foreign', reference: 'routes', eq: null } as const satisfies ForeignField;
export const noService = { type: 'foreign', reference: 'services', eq: null } as const satisfies ForeignField;

/** The TypeScript type of a plugin's validated config. */
export type PluginConfigOf<S extends PluginSchema> = RecordOf<S['fields']['config']['fields']>;

/** The plugin schema as a subschema of the plugins entity; `config` always expands its defaults. */
export function pluginSubschema(schema: PluginSchema): Subschema {
  const fields: Record<string, FieldDescriptor> = {};
  for (const [k, v] of Object.entries(schema.fields)) if (v !== undefined) fields[k] = v;
  fields.config = { ...schema.fields.config, required: true };
  return schema.entity_checks === undefined
    ? { name: schema.name, fields }
    : { name: schema.name, fields, entity_checks: schema.entity_checks };
}
