/**
 * How an entity definition maps onto its table (migration 001_entities): which fields have
 * real columns, the constraint names, who references whom. Pure, derived from the shared
 * schema definitions so the DAO stays generic; model.test.ts checks the migration agrees.
 */
import {
  ENTITIES,
  type EntityDefinition,
  type EntityName,
  type FieldDescriptor,
} from '@turnpike/shared/schema';

/** A field stored in a real column besides the `entity` jsonb. */
export interface KeyColumn {
  readonly field: string;
  /** `name`, or `service_id` for a foreign field. */
  readonly column: string;
  readonly foreign: boolean;
}

/** A foreign field of some entity: what it references and what deleting the target does. */
export interface Reference {
  /** The referencing entity (the child). */
  readonly entity: EntityName;
  readonly field: string;
  readonly column: string;
  /** The referenced entity (the parent). */
  readonly reference: EntityName;
  readonly cascade: boolean;
  /** The FOREIGN KEY constraint name in the migration. */
  readonly constraint: string;
}

/** A set of fields that together must be unique, with the constraint (or unique index) enforcing it. */
export interface UniqueKey {
  readonly fields: readonly string[];
  readonly constraint: string;
}

export interface TableModel {
  readonly name: EntityName;
  readonly definition: EntityDefinition;
  readonly columns: readonly KeyColumn[];
  readonly foreign: readonly Reference[];
  readonly uniques: readonly UniqueKey[];
  readonly endpointKey: string | undefined;
  readonly encrypted: readonly string[];
  readonly hashed: readonly string[];
  readonly virtual: readonly string[];
  /** Whether the definition has updated_at (credentials do not). */
  readonly hasUpdatedAt: boolean;
}

export const ENTITY_NAMES = Object.keys(ENTITIES) as EntityName[];

/** A field's column: foreign keys get `_id`, as in Kong's PostgreSQL tables. */
export function columnOf(field: string, descriptor: FieldDescriptor): string {
  return descriptor.type === 'foreign' ? `${field}_id` : field;
}

/** `"group"`: every column is quoted, since some (key, group) are SQL keywords. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function buildModel(name: EntityName): TableModel {
  const definition = ENTITIES[name] as EntityDefinition;
  const fields = Object.entries(definition.fields);
  const cacheKey = definition.cache_key ?? [];
  const keyed = new Set<string>([...cacheKey]);
  if (definition.endpoint_key !== undefined) keyed.add(definition.endpoint_key);
  const columns: KeyColumn[] = [];
  const foreign: Reference[] = [];
  const uniques: UniqueKey[] = [];
  for (const [field, descriptor] of fields) {
    if (field === 'id' || field === 'created_at' || field === 'updated_at' || field === 'tags') continue;
    if (descriptor.virtual === true) continue;
    const column = columnOf(field, descriptor);
    if (descriptor.type === 'foreign') {
      columns.push({ field, column, foreign: true });
      foreign.push({
        entity: name,
        field,
        column,
        reference: descriptor.reference,
        cascade: descriptor.on_delete === 'cascade',
        constraint: `${name}_${column}_fkey`,
      });
    } else if (descriptor.unique === true || keyed.has(field)) {
      columns.push({ field, column, foreign: false });
    }
    if (descriptor.unique === true) uniques.push({ fields: [field], constraint: `${name}_${column}_key` });
  }
  if (cacheKey.length > 1) uniques.push({ fields: cacheKey, constraint: `${name}_cache_key` });
  const sensitive = (kind: 'encrypt' | 'hash') =>
    fields.filter(([, d]) => d.sensitive === kind && d.virtual !== true).map(([f]) => f);
  return {
    name,
    definition,
    columns,
    foreign,
    uniques,
    endpointKey: definition.endpoint_key,
    encrypted: sensitive('encrypt'),
    hashed: sensitive('hash'),
    virtual: fields.filter(([, d]) => d.virtual === true).map(([f]) => f),
    hasUpdatedAt: 'updated_at' in definition.fields,
  };
}

const MODELS = new Map<EntityName, TableModel>(ENTITY_NAMES.map((name) => [name, buildModel(name)]));

export function tableModel(name: EntityName): TableModel {
  const model = MODELS.get(name);
  if (model === undefined) throw new TypeError(`unknown entity '${name}'`);
  return model;
}

/** Every foreign field, of every entity, that references `parent`. */
export function referencesTo(parent: EntityName): Reference[] {
  return [...MODELS.values()].flatMap((m) => m.foreign.filter((r) => r.reference === parent));
}

/** The unique key a constraint enforces, by constraint name (from a 23505 error). */
export function uniqueByConstraint(model: TableModel, constraint: string | undefined): UniqueKey | undefined {
  return model.uniques.find((u) => u.constraint === constraint);
}

/** The reference a FOREIGN KEY constraint enforces, searched across every table (from a 23503 error). */
export function referenceByConstraint(constraint: string | undefined): Reference | undefined {
  for (const model of MODELS.values()) {
    const found = model.foreign.find((r) => r.constraint === constraint);
    if (found !== undefined) return found;
  }
  return undefined;
}
