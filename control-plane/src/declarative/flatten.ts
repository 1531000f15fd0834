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
import { type EntityAt, ProblemCollector, type Segment } from './problems.ts';
import { definitionOf, ENTITY_NAMES, foreignFields, idKey, nestedChildren } from './relations.ts';
import { type DeclarativeConfig, FORMAT_VERSION } from './types.ts';
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
  /** Refused as a whole (declared twice): not validated field by field. */
  duplicate: boolean;
}

const META_KEYS = new Set(['_format_version', '_transform', '_comment', '_ignore']);

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
    const nested: [EntityName, string, unknown][] = [];
    for (const [key, v] of Object.entries(item)) {
      if (key === '_comment' || key === '_ignore') continue;
      const childField = children.get(key as EntityName);
      if (childField === undefined) input[key] = structuredClone(v);
      else nested.push([key as EntityName, childField, v]);
    }
    const pending: Pending = { entity, segments: at, input, parent, duplicate: false };
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

/** Kong's "uniqueness violation … already declared": unique fields first, then the id. */
function checkUniqueness(
  pendings: readonly Pending[],
  problems: ProblemCollector,
): { byId: Index; byKey: Index } {
  const byId: Index = new Map();
  const byKey: Index = new Map();
  const seen = new Map<string, Pending>();
  for (const p of pendings) {
    const def = definitionOf(p.entity);
    const unique = Object.entries(def.fields)
      .filter(([, d]) => d.unique === true && d.type !== 'foreign')
      .map(([f]) => f);
    const clash = [...unique, 'id'].find((field) => {
      const value = p.input[field];
      if (typeof value !== 'string') return false;
      const key = `${p.entity}\0${field}\0${value}`;
      if (seen.has(key)) return true;
      seen.set(key, p);
      return false;
    });
    if (clash !== undefined) {
      const what = clash === 'id' ? 'primary key' : clash;
      problems.entity(
        p,
        `uniqueness violation: '${p.entity}' entity with ${what} set to '${String(p.input[clash])}' already declared`,
      );
      p.duplicate = true;
      continue;
    }
    indexOf(byId, p.entity).set(String(p.input.id), p);
    const endpointKey = def.endpoint_key;
    const keyValue = endpointKey === undefined ? undefined : p.input[endpointKey];
    if (typeof keyValue === 'string') indexOf(byKey, p.entity).set(keyValue, p);
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
      const endpointKey = definitionOf(p.entity).endpoint_key;
      const keyValue = endpointKey === undefined ? undefined : p.input[endpointKey];
      const shown = typeof value === 'string' ? value : JSON.stringify(value);
      problems.reference(
        p,
        typeof keyValue === 'string' ? keyValue : String(p.input.id),
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
  else if (version !== FORMAT_VERSION)
    problems.general(['_format_version'], SCHEMA_MESSAGES.oneOf([FORMAT_VERSION]));
  const transform = input._transform;
  if (transform !== undefined && transform !== null && typeof transform !== 'boolean')
    problems.general(['_transform'], SCHEMA_MESSAGES.BOOLEAN);
  for (const key of Object.keys(input)) {
    if (!META_KEYS.has(key) && !(ENTITY_NAMES as string[]).includes(key))
      problems.general([key], SCHEMA_MESSAGES.UNKNOWN);
  }
  return transform !== false;
}

export function flattenDeclarative(input: unknown, options: FlattenOptions): FlattenResult {
  const problems = new ProblemCollector();
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
    if (p.duplicate) continue;
    const result = validateEntity(p.entity, p.input, {
      operation: 'insert',
      pluginSchemas: options.pluginSchemas,
      now,
    });
    if (!result.ok) problems.entity(p, result.fields);
    else entities[p.entity].push(result.value as unknown as EntityRow);
  }
  if (!problems.empty) return { ok: false, problems };
  return { ok: true, config: { formatVersion: FORMAT_VERSION, transform, entities } };
}
