/**
 * Kong's schema documents (`GET /schemas/{entity}`, `GET /schemas/plugins/{name}`): an ordered
 * list of one-key objects, each a field's definition. The forms are drawn from these, so an
 * entity or a custom plugin gets its form from the same place the Admin API validates with.
 */
export interface KongField {
  readonly type: string;
  readonly required?: boolean;
  readonly default?: unknown;
  readonly one_of?: readonly (string | number)[];
  readonly elements?: KongField;
  readonly keys?: KongField;
  readonly values?: KongField;
  readonly fields?: KongFieldList;
  readonly reference?: string;
  readonly auto?: boolean;
  readonly uuid?: boolean;
  readonly between?: readonly [number, number];
  readonly description?: string;
  readonly encrypted?: boolean;
  readonly abstract?: boolean;
  readonly eq?: unknown;
}

export type KongFieldList = readonly Readonly<Record<string, KongField>>[];

export interface KongSchema {
  readonly fields: KongFieldList;
}

export interface FieldSpec {
  readonly name: string;
  readonly field: KongField;
}

export function fieldsOf(list: KongFieldList | undefined): FieldSpec[] {
  const out: FieldSpec[] = [];
  for (const entry of list ?? []) {
    for (const [name, field] of Object.entries(entry)) out.push({ name, field });
  }
  return out;
}

/** Fields a person never types: ids, timestamps, and fields the schema pins to null (`eq: null`). */
export function isEditable(spec: FieldSpec): boolean {
  const { field } = spec;
  if (field.auto === true && field.type !== 'string') return false;
  if (spec.name === 'id' || spec.name === 'created_at' || spec.name === 'updated_at') return false;
  return !(Object.hasOwn(field, 'eq') && field.eq === null);
}

/** A string that is a PEM block or similar: a multi-line text area rather than one line. */
export function isLongText(spec: FieldSpec): boolean {
  return (
    spec.field.type === 'string' && /^(cert|key|cert_alt|key_alt|rsa_public_key|secret)$/.test(spec.name)
  );
}

/**
 * A plugin's form, as Kong Manager draws it: the plugins entity's fields (service, route,
 * consumer, enabled, tags…) with the plugin's own schema over them — its `config`, its
 * protocols, and the scopes it pins to null (`consumer: { eq: null }` for key-auth).
 */
export function mergeSchemas(base: KongSchema, override: KongSchema): KongSchema {
  const own = new Map(fieldsOf(override.fields).map((s) => [s.name, s.field]));
  const fields: Record<string, KongField>[] = fieldsOf(base.fields).map((s) => ({
    [s.name]: own.get(s.name) ?? s.field,
  }));
  const present = new Set(fieldsOf(base.fields).map((s) => s.name));
  for (const [name, field] of own) if (!present.has(name)) fields.push({ [name]: field });
  return { fields };
}
