/**
 * The entities of one configuration version, indexed for plugins: by id, by each unique field,
 * by each foreign reference. Built once per version from the synced content, so a request never
 * scans a list (Kong answers the same questions from its cache of the database). A delta patches
 * the previous version's index in time proportional to what it changed (`patchEntityLookup`):
 * untouched types are shared, touched ones are copied on write (LayeredMap), the previous index
 * stays intact for the Runtime still serving.
 */
import type { EntityLookup } from '@turnpike/plugin-sdk';
import { ENTITIES, type EntityName, type EntityTypes, isEntityName } from '@turnpike/shared/schema';
import { LayeredMap } from '@turnpike/shared/sync';

/** entity type → entity id → entity, as synced (ConfigContent). */
export type EntityContent = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

/** One changed entity of a delta. */
export interface ContentChange {
  readonly entity: string;
  readonly id: string;
}

const NONE: readonly never[] = Object.freeze([]);
const NO_ENTITIES: ReadonlyMap<string, unknown> = new Map();
const EMPTY_LIST: LayeredMap<string, unknown> = LayeredMap.of();

interface TypeIndex {
  readonly byId: ReadonlyMap<string, unknown>;
  /** field → value → entity (unique fields). */
  readonly unique: ReadonlyMap<string, LayeredMap<string, unknown>>;
  /**
   * field → referenced id → the entities referencing it, by id: a LayeredMap too, so a delta
   * edits one entry of a long list (every route of a service) in O(1), not by copying it.
   */
  readonly foreign: ReadonlyMap<string, LayeredMap<string, Referencing>>;
}

type Referencing = LayeredMap<string, unknown>;

/** listBy's arrays, built on first use per list version (a list is immutable). */
const listed = new WeakMap<Referencing, readonly unknown[]>();

function listOf(referencing: Referencing | undefined): readonly unknown[] {
  if (referencing === undefined) return NONE;
  let list = listed.get(referencing);
  if (list === undefined) {
    list = Object.freeze([...referencing.values()]);
    listed.set(referencing, list);
  }
  return list;
}

/** The unique and foreign fields of a type, from the shared schema. */
function fieldsOf(name: EntityName): { unique: string[]; foreign: string[] } {
  const unique: string[] = [];
  const foreign: string[] = [];
  for (const [field, descriptor] of Object.entries(ENTITIES[name].fields)) {
    if (descriptor.type === 'foreign') foreign.push(field);
    else if ('unique' in descriptor && descriptor.unique === true) unique.push(field);
  }
  return { unique, foreign };
}

function referenceOf(entity: unknown, field: string): string | undefined {
  const id = ((entity as Record<string, unknown> | undefined)?.[field] as { id?: unknown } | null | undefined)
    ?.id;
  return typeof id === 'string' ? id : undefined;
}

function fieldValue(entity: unknown, field: string): string | undefined {
  const value = (entity as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
}

function indexType(name: EntityName, byId: ReadonlyMap<string, unknown>): TypeIndex {
  const fields = fieldsOf(name);
  const unique = new Map<string, LayeredMap<string, unknown>>();
  const foreign = new Map<string, LayeredMap<string, Referencing>>();
  for (const field of fields.unique) {
    const index = new Map<string, unknown>();
    for (const entity of byId.values()) {
      const value = fieldValue(entity, field);
      if (value !== undefined) index.set(value, entity);
    }
    unique.set(field, LayeredMap.of(index));
  }
  for (const field of fields.foreign) {
    const index = new Map<string, Map<string, unknown>>();
    for (const [id, entity] of byId) {
      const ref = referenceOf(entity, field);
      if (ref === undefined) continue;
      const list = index.get(ref);
      if (list === undefined) index.set(ref, new Map([[id, entity]]));
      else list.set(id, entity);
    }
    const layered = new Map<string, Referencing>();
    for (const [ref, list] of index) layered.set(ref, LayeredMap.of(list));
    foreign.set(field, LayeredMap.of(layered));
  }
  return { byId, unique, foreign };
}

/** A type's index after `ids` changed: only their entries are edited. */
function patchType(
  previous: TypeIndex,
  byId: ReadonlyMap<string, unknown>,
  ids: ReadonlySet<string>,
): TypeIndex {
  const unique = new Map<string, LayeredMap<string, unknown>>();
  for (const [field, index] of previous.unique) {
    const edits: [string, unknown][] = [];
    // Removals first: a value that moved from one entity to another ends on the new one.
    for (const id of ids) {
      const value = fieldValue(previous.byId.get(id), field);
      if (value !== undefined && referenceEquals(index.get(value), id)) edits.push([value, undefined]);
    }
    for (const id of ids) {
      const entity = byId.get(id);
      const value = entity === undefined ? undefined : fieldValue(entity, field);
      if (value !== undefined) edits.push([value, entity]);
    }
    unique.set(field, edits.length === 0 ? index : index.with(edits));
  }
  const foreign = new Map<string, LayeredMap<string, Referencing>>();
  for (const [field, index] of previous.foreign) {
    /** referenced id → entity id → the entity (undefined: it left the list). */
    const lists = new Map<string, Map<string, unknown>>();
    const edit = (ref: string, id: string, entity: unknown) => {
      let list = lists.get(ref);
      if (list === undefined) {
        list = new Map();
        lists.set(ref, list);
      }
      list.set(id, entity);
    };
    // Removals first: an entity that stays on the same reference ends in its list.
    for (const id of ids) {
      const ref = referenceOf(previous.byId.get(id), field);
      if (ref !== undefined) edit(ref, id, undefined);
    }
    for (const id of ids) {
      const entity = byId.get(id);
      const ref = entity === undefined ? undefined : referenceOf(entity, field);
      if (ref !== undefined) edit(ref, id, entity);
    }
    const edits: [string, Referencing | undefined][] = [];
    for (const [ref, changes] of lists) {
      const list = (index.get(ref) ?? EMPTY_LIST).with(changes);
      edits.push([ref, list.size === 0 ? undefined : list]);
    }
    foreign.set(field, edits.length === 0 ? index : index.with(edits));
  }
  return { byId, unique, foreign };
}

function referenceEquals(entity: unknown, id: string): boolean {
  return (entity as { id?: unknown } | undefined)?.id === id;
}

/** The version's entities, indexed; `types` is kept so the next version can patch it. */
export class EntityIndex implements EntityLookup {
  readonly #types: ReadonlyMap<string, TypeIndex>;

  constructor(types: ReadonlyMap<string, TypeIndex>) {
    this.#types = types;
  }

  get<N extends EntityName>(entity: N, id: string): EntityTypes[N] | undefined {
    return (this.#types.get(entity)?.byId ?? NO_ENTITIES).get(id) as EntityTypes[N] | undefined;
  }
  findBy<N extends EntityName>(
    entity: N,
    field: keyof EntityTypes[N] & string,
    value: string,
  ): EntityTypes[N] | undefined {
    return this.#types.get(entity)?.unique.get(field)?.get(value) as EntityTypes[N] | undefined;
  }
  listBy<N extends EntityName>(
    entity: N,
    field: keyof EntityTypes[N] & string,
    id: string,
  ): readonly EntityTypes[N][] {
    return listOf(this.#types.get(entity)?.foreign.get(field)?.get(id)) as readonly EntityTypes[N][];
  }

  /** The next version's index: the types `changes` touched are re-indexed by the changed ids only. */
  patch(content: EntityContent | undefined, changes: readonly ContentChange[]): EntityIndex {
    const touched = new Map<string, Set<string>>();
    for (const change of changes) {
      if (!isEntityName(change.entity)) continue;
      let ids = touched.get(change.entity);
      if (ids === undefined) {
        ids = new Set();
        touched.set(change.entity, ids);
      }
      ids.add(change.id);
    }
    if (touched.size === 0) return this;
    const types = new Map(this.#types);
    for (const [name, ids] of touched) {
      const byId = content?.get(name);
      const previous = this.#types.get(name);
      if (byId === undefined || byId.size === 0) types.delete(name);
      else if (previous === undefined) types.set(name, indexType(name as EntityName, byId));
      else types.set(name, patchType(previous, byId, ids));
    }
    return new EntityIndex(types);
  }
}

/** Indexes every known entity type of the content; unknown types are ignored. */
export function compileEntityLookup(content: EntityContent | undefined): EntityIndex {
  const types = new Map<string, TypeIndex>();
  for (const [name, byId] of content ?? []) {
    if (isEntityName(name)) types.set(name, indexType(name, byId));
  }
  return new EntityIndex(types);
}
