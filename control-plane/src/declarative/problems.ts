/**
 * Collects what is wrong with a declarative file in the three shapes callers need: Kong's
 * nested `fields` (arrays follow the file, `null` where an entry is fine), a flat list of
 * messages naming each path (`services[0].routes[1].paths[0]`), and Kong's `flattened_errors`
 * (one entry per invalid entity, for `POST /config?flatten_errors=1`).
 */
import type { FieldErrors } from '@turnpike/shared';
import { singular } from './relations.ts';

export type Segment = string | number;

export interface DeclarativeProblem {
  /** `services[0].routes[1].paths[0]`; empty for the document itself. */
  readonly path: string;
  readonly segments: readonly Segment[];
  readonly message: string;
  /** 1-based line in the source text, when it is YAML or JSON we could map. */
  line?: number;
}

export type FlattenedFieldError =
  | { readonly type: 'field'; readonly field: string; readonly message: string }
  | { readonly type: 'entity'; readonly message: string };

/** One entry of Kong's `flattened_errors`. */
export interface FlattenedError {
  entity_type: string;
  entity_name?: string;
  entity_id?: string;
  entity_tags?: string[];
  entity: Record<string, unknown>;
  errors: FlattenedFieldError[];
}

/** The entity an error belongs to, as found in the file. */
export interface EntityAt {
  readonly entity: string;
  readonly segments: readonly Segment[];
  /** The entry being validated: own fields, ids generated, its parent's key set. */
  readonly input: Record<string, unknown>;
  /** The entry as written, nested collections left out (Kong's `entity` in flattened errors). */
  readonly original: Record<string, unknown>;
}

type Node = FieldErrors | (string | FieldErrors | null)[];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isRecord(value: unknown): value is FieldErrors {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

function assign(node: Node, key: Segment, value: unknown): void {
  if (Array.isArray(node) && typeof key === 'number') while (node.length < key) node.push(null);
  (node as Record<Segment, unknown>)[key] = value;
}

function merge(target: FieldErrors, source: FieldErrors): void {
  for (const [k, v] of Object.entries(source)) {
    const existing = target[k];
    if (isRecord(existing) && isRecord(v)) merge(existing, v);
    else if (k === '@entity' && Array.isArray(existing) && Array.isArray(v)) existing.push(...v);
    else target[k] = v;
  }
}

/** Sets `value` at `segments` in Kong's nested shape, creating arrays for numeric segments. */
export function setAt(root: FieldErrors, segments: readonly Segment[], value: string | FieldErrors): void {
  let node: Node = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const key = segments[i]!;
    let child = (node as Record<Segment, unknown>)[key];
    if (typeof child !== 'object' || child === null) {
      child = typeof segments[i + 1] === 'number' ? [] : {};
      assign(node, key, child);
    }
    node = child as Node;
  }
  const last = segments.at(-1)!;
  const existing = (node as Record<Segment, unknown>)[last];
  if (isRecord(existing) && isRecord(value)) merge(existing, structuredClone(value));
  else if (isRecord(existing) && typeof value === 'string')
    merge(existing, { '@entity': [value] } as FieldErrors);
  // An entry refused as a whole (declared twice) that has field errors too: both are kept.
  else if (typeof existing === 'string' && isRecord(value))
    assign(node, last, { '@entity': [existing], ...structuredClone(value) });
  else if (typeof existing === 'string' && typeof value === 'string' && existing !== value)
    assign(node, last, { '@entity': [existing, value] });
  else assign(node, last, typeof value === 'string' ? value : structuredClone(value));
}

/** Kong's categorize_errors: field paths joined with dots, array items 1-based. */
function categorize(errors: unknown, ns: string, out: FlattenedFieldError[]): void {
  if (typeof errors === 'string') {
    out.push(ns === '' ? { type: 'entity', message: errors } : { type: 'field', field: ns, message: errors });
    return;
  }
  const entries = Array.isArray(errors)
    ? errors.map((v, i) => [String(i + 1), v] as const)
    : Object.entries(errors as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of entries) {
    if (value === null || value === undefined) continue;
    if (key === '@entity') {
      for (const m of Array.isArray(value) ? value : [value])
        if (typeof m === 'string') out.push({ type: 'entity', message: m });
    } else categorize(value, ns === '' ? key : `${ns}.${key}`, out);
  }
}

export class ProblemCollector {
  /** Kong's `fields`: every error, nested as the file. */
  readonly fields: FieldErrors = {};
  /** What Kong leaves in `fields` once errors are flattened: those of no single entity. */
  readonly residual: FieldErrors = {};
  readonly problems: DeclarativeProblem[] = [];
  readonly flattened: FlattenedError[] = [];
  private readonly byEntity = new Map<EntityAt, FlattenedError>();

  get empty(): boolean {
    return this.problems.length === 0;
  }

  private record(segments: readonly Segment[], errors: unknown): void {
    if (typeof errors === 'string') {
      this.problems.push({ path: formatPath(segments), segments: [...segments], message: errors });
    } else if (Array.isArray(errors)) {
      errors.forEach((item, i) => {
        if (item !== null && item !== undefined) this.record([...segments, i], item);
      });
    } else if (isRecord(errors)) {
      for (const [key, value] of Object.entries(errors)) {
        if (key === '@entity') {
          for (const m of Array.isArray(value) ? value : [value]) this.record(segments, m);
        } else this.record([...segments, key], value);
      }
    }
  }

  /** An error of the document or a collection (`_format_version`, `services` not an array…). */
  general(segments: readonly Segment[], message: string): void {
    setAt(this.fields, segments, message);
    setAt(this.residual, segments, message);
    this.record(segments, message);
  }

  /** Errors of one entity: its schema's field errors, or one message about the whole entry. */
  entity(at: EntityAt, errors: FieldErrors | string): void {
    setAt(this.fields, at.segments, errors);
    this.record(at.segments, errors);
    this.flat(at, errors);
  }

  /**
   * An unresolvable reference. Kong keys it by the entity's endpoint key (or id) under the
   * top-level collection name: `{ routes: { "my-route": ["invalid reference …"] } }`.
   */
  reference(at: EntityAt, keyedBy: string, field: string, message: string): void {
    this.byKey(at, keyedBy, field, message, true);
  }

  /** A uniqueness violation Kong finds once the file is flat: `{ consumers: { bob: "uniqueness…" } }`. */
  keyed(at: EntityAt, keyedBy: string, field: string, message: string): void {
    this.byKey(at, keyedBy, field, message, false);
  }

  private byKey(at: EntityAt, keyedBy: string, field: string, message: string, list: boolean): void {
    const collection = this.fields[at.entity];
    if (collection === undefined || isRecord(collection)) {
      const target = (collection ?? {}) as FieldErrors;
      const existing = target[keyedBy];
      target[keyedBy] = !list
        ? (existing ?? message)
        : Array.isArray(existing)
          ? [...existing, message]
          : [message];
      this.fields[at.entity] = target;
      const residual = (this.residual[at.entity] ?? {}) as FieldErrors;
      residual[keyedBy] = target[keyedBy]!;
      this.residual[at.entity] = residual;
    } else {
      // The collection already holds per-entry errors: keep the message with its entry.
      setAt(this.fields, [...at.segments, field], message);
    }
    this.record([...at.segments, field], message);
    this.flat(at, { [field]: message });
  }

  private flat(at: EntityAt, errors: FieldErrors | string): void {
    let entry = this.byEntity.get(at);
    if (entry === undefined) {
      const input = at.original;
      entry = { entity_type: singular(at.entity), entity: input, errors: [] };
      if (typeof input.name === 'string' && input.name !== '') entry.entity_name = input.name;
      if (typeof input.id === 'string' && UUID.test(input.id)) entry.entity_id = input.id;
      if (Array.isArray(input.tags) && input.tags.every((t) => typeof t === 'string'))
        entry.entity_tags = input.tags as string[];
      this.byEntity.set(at, entry);
      this.flattened.push(entry);
    }
    categorize(errors, '', entry.errors);
  }
}
