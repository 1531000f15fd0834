/**
 * The entity graph as the declarative format sees it, derived from the shared schemas: which
 * entities may nest under which (every foreign key allows it, as Kong's
 * nest_foreign_relationships), the order to write them in, and the key Kong hashes into an
 * entity's deterministic id.
 */
import {
  ENTITIES,
  type EntityDefinition,
  type EntityName,
  type FieldDescriptor,
} from '@turnpike/shared/schema';

export const ENTITY_NAMES = Object.keys(ENTITIES) as EntityName[];

export function definitionOf(entity: EntityName): EntityDefinition {
  return ENTITIES[entity] as EntityDefinition;
}

export interface ForeignField {
  readonly field: string;
  readonly reference: EntityName;
  readonly cascade: boolean;
}

export function foreignFields(entity: EntityName): ForeignField[] {
  const out: ForeignField[] = [];
  for (const [field, d] of Object.entries(definitionOf(entity).fields) as [string, FieldDescriptor][]) {
    if (d.type === 'foreign') out.push({ field, reference: d.reference, cascade: d.on_delete === 'cascade' });
  }
  return out;
}

/** Children that may nest under `parent`, by collection name → their foreign field to it. */
export function nestedChildren(parent: EntityName): Map<EntityName, string> {
  const fields = definitionOf(parent).fields;
  const out = new Map<EntityName, string>();
  for (const child of ENTITY_NAMES) {
    // A real field of that name wins (certificates.snis is virtual: there the SNI entities nest).
    const own = fields[child];
    if (own !== undefined && own.virtual !== true) continue;
    const fk = foreignFields(child).find((f) => f.reference === parent);
    if (fk !== undefined) out.set(child, fk.field);
  }
  return out;
}

/** Parents before children (stable in schema order): the order to write in; reverse it to delete. */
export const WRITE_ORDER: readonly EntityName[] = (() => {
  const order: EntityName[] = [];
  const placed = new Set<EntityName>();
  while (order.length < ENTITY_NAMES.length) {
    const next = ENTITY_NAMES.find(
      (e) => !placed.has(e) && foreignFields(e).every((f) => f.reference === e || placed.has(f.reference)),
    );
    if (next === undefined) throw new TypeError('the entity schemas have a foreign-key cycle');
    order.push(next);
    placed.add(next);
  }
  return order;
})();

/** Kong's singular entity type for flattened errors: `services` → `service`. */
export function singular(entity: string): string {
  return entity.endsWith('s') ? entity.slice(0, -1) : entity;
}

function foreignKeyString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string')
    return (value as { id: string }).id;
  return undefined;
}

/** A declarative file names no workspace: Kong's ws_id_for then answers "*". */
const NO_WORKSPACE = '*';

/** Kong's build_cache_key: `<entity>:*:<field>…`, or undefined when a needed value is unknown. */
function cacheKey(
  entity: EntityName,
  def: EntityDefinition,
  item: Record<string, unknown>,
  parent: { readonly field: string; readonly id: string } | undefined,
): string | undefined {
  const parts: string[] = [entity, NO_WORKSPACE];
  for (const k of def.cache_key ?? []) {
    const field = def.fields[k];
    const value = item[k];
    if (field?.auto === true) return undefined;
    if (typeof value === 'string') parts.push(value);
    else if (value === undefined) {
      if (parent !== undefined && k === parent.field) parts.push(parent.id);
      else if (field?.required === true) return undefined;
      else parts.push('');
    }
    // null and records add nothing, as in Kong (ngx.null is neither a string nor nil).
  }
  return parts.join(':');
}

/** Whether the entity's endpoint key is unique on its own (Kong then looks entities up by it). */
export function hasUniqueEndpointKey(entity: EntityName): boolean {
  const def = definitionOf(entity);
  return def.endpoint_key !== undefined && def.fields[def.endpoint_key]?.unique === true;
}

/**
 * The name Kong hashes into the entity's id (declarative_config.lua get_key_for_uuid_gen): the
 * cache key when the entity has one, else the endpoint key (suffixed with the parent's id and
 * the workspace when it is only unique per parent); undefined when neither is known (the id
 * is then random).
 */
export function idKey(
  entity: EntityName,
  item: Record<string, unknown>,
  parent: { readonly field: string; readonly id: string } | undefined,
): string | undefined {
  const def = definitionOf(entity);
  if (def.cache_key !== undefined) return cacheKey(entity, def, item, parent);
  const endpointKey = def.endpoint_key;
  const keyValue = endpointKey === undefined ? undefined : item[endpointKey];
  if (endpointKey === undefined || (typeof keyValue !== 'string' && typeof keyValue !== 'number'))
    return undefined;
  let key = String(keyValue);
  if (def.fields[endpointKey]?.unique !== true) {
    for (const fk of foreignFields(entity)) {
      if (!fk.cascade) continue;
      if (parent !== undefined) key += `:${parent.id}`;
      else key += `:${foreignKeyString(item[fk.field]) ?? ''}`;
    }
    key += `:${NO_WORKSPACE}`;
  }
  return key;
}
