/**
 * The entities of one configuration version, indexed for plugins: by id, by each unique field,
 * by each foreign reference. Built once per version from the synced content, so a request never
 * scans a list (Kong answers the same questions from its cache of the database).
 */
import type { EntityLookup } from '@turnpike/plugin-sdk';
import { ENTITIES, type EntityName, isEntityName } from '@turnpike/shared/schema';

/** entity type → entity id → entity, as synced (ConfigContent). */
export type EntityContent = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

const NONE: readonly never[] = Object.freeze([]);
const NO_ENTITIES: ReadonlyMap<string, unknown> = new Map();

interface TypeIndex {
  readonly byId: ReadonlyMap<string, unknown>;
  /** field → value → entity (unique fields). */
  readonly unique: Map<string, Map<string, unknown>>;
  /** field → referenced id → entities (foreign fields). */
  readonly foreign: Map<string, Map<string, unknown[]>>;
}

function indexType(name: EntityName, byId: ReadonlyMap<string, unknown>): TypeIndex {
  const unique = new Map<string, Map<string, unknown>>();
  const foreign = new Map<string, Map<string, unknown[]>>();
  for (const [field, descriptor] of Object.entries(ENTITIES[name].fields)) {
    if (descriptor.type === 'foreign') foreign.set(field, new Map());
    else if ('unique' in descriptor && descriptor.unique === true) unique.set(field, new Map());
  }
  for (const entity of byId.values()) {
    const record = entity as Record<string, unknown>;
    for (const [field, index] of unique) {
      const value = record[field];
      if (typeof value === 'string') index.set(value, entity);
    }
    for (const [field, index] of foreign) {
      const id = (record[field] as { id?: unknown } | null | undefined)?.id;
      if (typeof id !== 'string') continue;
      const list = index.get(id);
      if (list === undefined) index.set(id, [entity]);
      else list.push(entity);
    }
  }
  return { byId, unique, foreign };
}

/** Indexes every known entity type of the content; unknown types are ignored. */
export function compileEntityLookup(content: EntityContent | undefined): EntityLookup {
  const types = new Map<string, TypeIndex>();
  for (const [name, byId] of content ?? []) {
    if (isEntityName(name)) types.set(name, indexType(name, byId));
  }
  const lookup = {
    get(entity: string, id: string): unknown {
      return (types.get(entity)?.byId ?? NO_ENTITIES).get(id);
    },
    findBy(entity: string, field: string, value: string): unknown {
      return types.get(entity)?.unique.get(field)?.get(value);
    },
    listBy(entity: string, field: string, id: string): readonly unknown[] {
      return types.get(entity)?.foreign.get(field)?.get(id) ?? NONE;
    },
  };
  return lookup as EntityLookup;
}
