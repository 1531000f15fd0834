/** Kong 3.10's body_transformer.lua: the JSON body's remove, rename, replace, add, append. */
import { type Pair, pairOf } from './pairs.ts';
import type { ResponseTransformerConfig } from './schema.ts';

type JsonType = 'boolean' | 'number' | 'string' | undefined;
interface Typed extends Pair {
  readonly type: JsonType;
}

export interface JsonOps {
  readonly remove: readonly string[];
  readonly rename: readonly Pair[];
  readonly replace: readonly Typed[];
  readonly add: readonly Typed[];
  readonly append: readonly Typed[];
}

function typed(entries: readonly string[], types: readonly string[]): Typed[] {
  return entries.map((entry, i) => ({ ...pairOf(entry), type: types[i] as JsonType }));
}

export function compileJson(conf: ResponseTransformerConfig): JsonOps | undefined {
  const ops: JsonOps = {
    remove: conf.remove.json.map((entry) => pairOf(entry).name),
    rename: conf.rename.json.map(pairOf),
    replace: typed(conf.replace.json, conf.replace.json_types),
    add: typed(conf.add.json, conf.add.json_types),
    append: typed(conf.append.json, conf.append.json_types),
  };
  const any = ops.remove.length + ops.rename.length + ops.replace.length + ops.add.length + ops.append.length;
  return any === 0 ? undefined : ops;
}

/**
 * Kong's json_value: the value JSON-encoded, its quotes and escaped quotes undone (so a string
 * stays a string, backslash escapes kept), then cast to `type`. No value encodes as `null`.
 */
function jsonValue(pair: Typed): unknown {
  let v = JSON.stringify(pair.value === '' ? null : pair.value);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replaceAll('\\"', '"');
  if (pair.type === 'number') {
    const n = v.trim() === '' ? Number.NaN : Number(v);
    return Number.isNaN(n) ? undefined : n;
  }
  if (pair.type === 'boolean') return v === 'true';
  return v;
}

/** Lua's truthiness of a decoded JSON value: only absent and false are false (null is cjson.null). */
const present = (v: unknown): boolean => v !== undefined && v !== false;

function appendValue(current: unknown, value: unknown): unknown[] {
  if (typeof current === 'string') return [current, value];
  if (Array.isArray(current)) return [...current, value];
  return [value];
}

/** The transformed body, or undefined when it is not a JSON object (Kong: "failed parsing json body"). */
export function transformJson(ops: JsonOps, text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const json = body as Record<string, unknown>;
  for (const name of ops.remove) delete json[name];
  for (const { name, value } of ops.rename) {
    if (json[name] !== undefined && value !== '') {
      json[value] = json[name];
      delete json[name];
    }
  }
  for (const pair of ops.replace) {
    const v = jsonValue(pair);
    if (present(json[pair.name]) && v !== undefined) json[pair.name] = v;
  }
  for (const pair of ops.add) {
    const v = jsonValue(pair);
    if (!present(json[pair.name]) && v !== undefined) json[pair.name] = v;
  }
  for (const pair of ops.append) {
    const v = jsonValue(pair);
    if (v !== undefined) json[pair.name] = appendValue(json[pair.name], v);
  }
  return JSON.stringify(json);
}
