/**
 * The pure core of parsing: a declarative document (already decoded from YAML or JSON) →
 * flat, validated entities, as Kong's DeclarativeConfig.flatten does: nested entities pulled
 * out with their parent's key, deterministic ids, references by name or id resolved within
 * the file, duplicates refused, every entity validated with the shared schemas.
 */
import { randomUUID } from 'node:crypto';
import {
  type EntityName,
  type PluginSchemaLookup,
  SCHEMA_MESSAGES,
  validateEntity,
} from '@turnpike/shared/schema';
import type { EntityRow } from '../dao/types.ts';
import { migrateLegacyDocument } from './legacy-paths.ts';
import { type EntityAt, ProblemCollector, type Segment } from './problems.ts';
import {
  definitionOf,
  ENTITY_NAMES,
  foreignFields,
  hasUniqueEndpointKey,
  idKey,
  nestedChildren,
} from './relations.ts';
import { ACCEPTED_FORMAT_VERSIONS, type DeclarativeConfig, FORMAT_VERSION } from './types.ts';
import { declarativeId } from './uuid.ts';

export interface FlattenOptions {
  readonly pluginSchemas: PluginSchemaLookup;
  /** Seconds since the epoch for generated timestamps; default the clock. */
  readonly now?: number;
}

export type FlattenResult =
  | { readonly ok: true; readonly config: DeclarativeConfig }
  | { readonly ok: false; readonly problems: ProblemCollector };

interface Pending extends EntityAt {
  readonly entity: EntityName;
  readonly input: Record<string, unknown>;
  readonly parent: { readonly field: string; readonly pending: Pending } | undefined;
  /** Declared twice: refused, though still validated field by field. */
  duplicate: boolean;
}

const META_KEYS = new Set(['_format_version', '_transform', '_comment', '_ignore']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collect(
  entity: EntityName,
  value: unknown,
  segments: Segment[],
  parent: Pending['parent'],
  out: Pending[],
  problems: ProblemCollector,
): void {
  if (!Array.isArray(value)) {
    problems.general(segments, SCHEMA_MESSAGES.ARRAY);
    return;
  }
  const children = nestedChildren(entity);
  value.forEach((item, i) => {
    const at = [...segments, i];
    if (!isRecord(item)) {
      problems.general(at, SCHEMA_MESSAGES.RECORD);
      return;
    }
    const input: Record<string, unknown> = {};
    const original: Record<string, unknown> = {};
    const nested: [EntityName, string, unknown][] = [];
    for (const [key, v] of Object.entries(item)) {
      const childField = children.get(key as EntityName);
      if (childField !== undefined) nested.push([key as EntityName, childField, v]);
      else {
        original[key] = v;
        if (key !== '_comment' && key !== '_ignore') input[key] = structuredClone(v);
      }
    }
    // Kong's flattened errors show a nested entry with its parent's key only when the file gave that id.
    const parentId = parent?.pending.original.id;
    if (parent !== undefined && original[parent.field] === undefined && isUuid(parentId))
      original[parent.field] = { id: parentId };
    const pending: Pending = { entity, segments: at, input, original, parent, duplicate: false };
    out.push(pending);
    for (const [child, field, v] of nested) {
      collect(child, v, [...at, child], { field, pending }, out, problems);
    }
  });
}

/** Ids first, parents before children (collect pushes a parent before its children). */
function assignIds(pendings: readonly Pending[], problems: ProblemCollector): void {
  for (const p of pendings) {
    const parent =
      p.parent === undefined ? undefined : { field: p.parent.field, id: String(p.parent.pending.input.id) };
    if (parent !== undefined) {
      const given = p.input[parent.field];
      // Kong: a nested entity takes its parent from the nesting, never from a field.
      if (given !== undefined && given !== null)
        problems.entity(p, { [parent.field]: SCHEMA_MESSAGES.eq('null') });
    }
    if (p.input.id === undefined || p.input.id === null) {
      // Before the parent key is set: Kong's cache key takes the parent's id for the missing field.
      const key = idKey(p.entity, p.input, parent);
      p.input.id = key === undefined ? randomUUID() : declarativeId(p.entity, key);
    }
    if (parent !== undefined) p.input[parent.field] = { id: parent.id };
  }
}

type Index = Map<EntityName, Map<string, Pending>>;

function indexOf(index: Index, entity: EntityName): Map<string, Pending> {
  let map = index.get(entity);
  if (map === undefined) {
    map = new Map();
    index.set(entity, map);
  }
  return map;
}

const uniquenessViolation = (entity: string, field: string, value: unknown) =>
  `uniqueness violation: '${entity}' entity with ${field} set to '${String(value)}' already declared`;

/** The key Kong files an entity's errors under when it has no index: its endpoint key, else its id. */
function keyOf(p: Pending): string {
  const endpointKey = definitionOf(p.entity).endpoint_key;
  const value =
    hasUniqueEndpointKey(p.entity) && endpointKey !== undefined ? p.input[endpointKey] : undefined;
  return typeof value === 'string' ? value : String(p.input.id);
}

/**
 * Kong's "uniqueness violation … already declared", in Kong's order and shapes: a unique
 * endpoint key declared twice, then a primary key (both at the entry's index); then any other
 * unique field (filed under the entity's endpoint key or id, as Kong's flatten does).
 */
function checkUniqueness(
  pendings: readonly Pending[],
  problems: ProblemCollector,
): { byId: Index; byKey: Index } {
  const byId: Index = new Map();
  const byKey: Index = new Map();
  const seen = new Set<string>();
  const once = (key: string) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const p of pendings) {
    const def = definitionOf(p.entity);
    const endpointKey = hasUniqueEndpointKey(p.entity) ? def.endpoint_key : undefined;
    const keyValue = endpointKey === undefined ? undefined : p.input[endpointKey];
    let failed = false;
    if (endpointKey !== undefined && typeof keyValue === 'string') {
      if (once(`${p.entity}\0${endpointKey}\0${keyValue}`)) indexOf(byKey, p.entity).set(keyValue, p);
      else {
        problems.entity(p, uniquenessViolation(p.entity, endpointKey, keyValue));
        failed = true;
      }
    }
    const id = String(p.input.id);
    if (once(`${p.entity}\0\0${id}`)) indexOf(byId, p.entity).set(id, p);
    else if (!failed) {
      problems.entity(p, uniquenessViolation(p.entity, 'primary key', id));
      failed = true;
    }
    p.duplicate = failed;
    for (const [field, d] of Object.entries(def.fields)) {
      if (d.unique !== true || d.type === 'foreign' || field === endpointKey) continue;
      const value = p.input[field];
      if (typeof value !== 'string' || once(`${p.entity}\0${field}\0${value}`)) continue;
      problems.keyed(p, keyOf(p), field, uniquenessViolation(p.entity, field, value));
    }
  }
  return { byId, byKey };
}

/** `service: my-svc`, `service: <uuid>` or `service: { id }` → `{ id }`, within the file. */
function resolveReferences(
  pendings: readonly Pending[],
  byId: Index,
  byKey: Index,
  problems: ProblemCollector,
) {
  for (const p of pendings) {
    for (const fk of foreignFields(p.entity)) {
      if (p.parent?.field === fk.field) continue;
      const value = p.input[fk.field];
      if (value === undefined || value === null) continue;
      const lookup = typeof value === 'string' ? value : isRecord(value) ? value.id : undefined;
      const found =
        typeof lookup === 'string'
          ? (byKey.get(fk.reference)?.get(lookup) ?? byId.get(fk.reference)?.get(lookup))
          : undefined;
      if (found !== undefined) {
        p.input[fk.field] = { id: found.input.id };
        continue;
      }
      if (typeof value !== 'string' && !isRecord(value)) continue; // the schema names the wrong type
      const shown = typeof value === 'string' ? value : JSON.stringify(value);
      problems.reference(
        p,
        keyOf(p),
        fk.field,
        `invalid reference '${fk.field}: ${shown}' (no such entry in '${fk.reference}')`,
      );
      delete p.input[fk.field];
    }
  }
}

function checkMeta(input: Record<string, unknown>, problems: ProblemCollector): boolean {
  const version = input._format_version;
  if (version === undefined || version === null)
    problems.general(['_format_version'], SCHEMA_MESSAGES.REQUIRED);
  else if (typeof version !== 'string') problems.general(['_format_version'], SCHEMA_MESSAGES.STRING);
  else if (!ACCEPTED_FORMAT_VERSIONS.includes(version))
    problems.general(['_format_version'], SCHEMA_MESSAGES.oneOf(ACCEPTED_FORMAT_VERSIONS));
  const transform = input._transform;
  if (transform !== undefined && transform !== null && typeof transform !== 'boolean')
    problems.general(['_transform'], SCHEMA_MESSAGES.BOOLEAN);
  // Kong's declarative schema: `_comment` a string, `_ignore` an array of anything (YAML anchors live there).
  if (input._comment !== undefined && input._comment !== null && typeof input._comment !== 'string')
    problems.general(['_comment'], SCHEMA_MESSAGES.STRING);
  if (input._ignore !== undefined && input._ignore !== null && !Array.isArray(input._ignore))
    problems.general(['_ignore'], SCHEMA_MESSAGES.ARRAY);
  for (const key of Object.keys(input)) {
    if (!META_KEYS.has(key) && !(ENTITY_NAMES as string[]).includes(key))
      problems.general([key], SCHEMA_MESSAGES.UNKNOWN);
  }
  return transform !== false;
}

export function flattenDeclarative(document: unknown, options: FlattenOptions): FlattenResult {
  const problems = new ProblemCollector();
  // Kong migrates a 1.1 / 2.1 file's regex paths before it validates anything.
  const input = migrateLegacyDocument(document);
  if (!isRecord(input)) {
    problems.general(['error'], 'failed parsing declarative configuration: expected an object');
    return { ok: false, problems };
  }
  const transform = checkMeta(input, problems);
  const pendings: Pending[] = [];
  for (const entity of ENTITY_NAMES) {
    if (input[entity] !== undefined && input[entity] !== null)
      collect(entity, input[entity], [entity], undefined, pendings, problems);
  }
  assignIds(pendings, problems);
  const { byId, byKey } = checkUniqueness(pendings, problems);
  resolveReferences(pendings, byId, byKey, problems);

  const entities = Object.fromEntries(ENTITY_NAMES.map((e) => [e, [] as EntityRow[]])) as {
    [N in EntityName]: EntityRow[];
  };
  const now = options.now ?? Date.now() / 1000;
  for (const p of pendings) {
    // A duplicate is refused whatever its fields, but its field errors are worth knowing too.
    const result = validateEntity(p.entity, p.input, {
      operation: 'insert',
      pluginSchemas: options.pluginSchemas,
      now,
    });
    if (!result.ok) problems.entity(p, result.fields);
    else if (!p.duplicate) entities[p.entity].push(result.value as unknown as EntityRow);
  }
  if (!problems.empty) return { ok: false, problems };
  return { ok: true, config: { formatVersion: FORMAT_VERSION, transform, entities } };
}
