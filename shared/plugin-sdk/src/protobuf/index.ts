/**
 * A .proto file as Kong's grpc plugins read it (kong/tools/grpc.lua, and lua-protobuf's `pb`
 * encode/decode), with protobufjs: loaded on first use and kept for the process (Kong caches
 * `_proto_info` per file name the same way), its methods by gRPC path `/<package>.<Service>/<Method>`
 * with their `google.api.http` options, and messages to and from JSON-shaped values.
 *
 * Imports are looked up beside the importing file, beside the main file, then in Kong's include
 * directories; `google/protobuf/*` and `google/api/*` come with protobufjs.
 *
 * `@turnpike/plugin-sdk/protobuf`: the bundled grpc-web and grpc-gateway plugins use it, and so
 * may any plugin that transcodes gRPC (protobufjs is the SDK's dependency, not the plugin's).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type protobuf from 'protobufjs';

export interface ProtoMethod {
  readonly service: string;
  readonly name: string;
  readonly input: protobuf.Type;
  readonly output: protobuf.Type;
  /** The method's `(google.api.http)` option as parsed, when it has one. */
  readonly http: Record<string, unknown> | undefined;
}

const require = createRequire(import.meta.url);
/** Kong's protoc include paths (kong/tools/grpc.lua), in its order. */
const KONG_INCLUDES = [
  '/usr/local/kong/include',
  '/usr/local/opt/protobuf/include/',
  '/usr/include',
  'kong/include',
];

const loaded = new Map<string, ReadonlyMap<string, ProtoMethod>>();

function loadRoot(file: string): protobuf.Root {
  // Loaded on first use: a node without the plugin in use never loads protobufjs.
  const { Root } = require('protobufjs') as typeof protobuf;
  const bundled = dirname(require.resolve('protobufjs/package.json'));
  const main = resolve(file);
  const root = new Root();
  root.resolvePath = (origin: string, target: string): string | null => {
    if (isAbsolute(target)) return target;
    const dirs = [origin === '' ? dirname(main) : dirname(origin), dirname(main), ...KONG_INCLUDES, bundled];
    for (const dir of dirs) {
      const candidate = resolve(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return join(dirname(main), target);
  };
  root.loadSync(main, { keepCase: true });
  root.resolveAll();
  return root;
}

function eachService(ns: protobuf.NamespaceBase, visit: (service: protobuf.Service) => void): void {
  for (const nested of ns.nestedArray) {
    if ('methods' in nested) visit(nested as protobuf.Service);
    if ('nestedArray' in nested) eachService(nested as protobuf.NamespaceBase, visit);
  }
}

function httpOption(method: protobuf.Method): Record<string, unknown> | undefined {
  for (const option of method.parsedOptions ?? []) {
    const value = (option as Record<string, unknown>)['(google.api.http)'];
    if (value !== null && typeof value === 'object') return value as Record<string, unknown>;
  }
  return undefined;
}

/** Every method of the file (and of what it imports), by `/<package>.<Service>/<Method>`, in file order. */
export function protoMethods(file: string): ReadonlyMap<string, ProtoMethod> {
  const known = loaded.get(file);
  if (known !== undefined) return known;
  const root = loadRoot(file);
  const table = new Map<string, ProtoMethod>();
  eachService(root, (service) => {
    const name = service.fullName.replace(/^\./, '');
    for (const method of service.methodsArray) {
      method.resolve();
      table.set(`/${name}/${method.name}`, {
        service: name,
        name: method.name,
        input: method.resolvedRequestType!,
        output: method.resolvedResponseType!,
        http: httpOption(method),
      });
    }
  });
  loaded.set(file, table);
  return table;
}

/** Why a value cannot be encoded as the message (Kong: pb.encode failed). */
export class EncodeError extends Error {}

const TIMESTAMP = '.google.protobuf.Timestamp';
const NUMERIC = new Set([
  'double',
  'float',
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'int64',
  'uint64',
  'sint64',
  'fixed64',
  'sfixed64',
]);

/** Kong's Timestamp encode hook: a date string (UTC when it names no zone) to seconds and nanos. */
function timestampOf(value: unknown): { seconds: number; nanos: number } {
  if (typeof value !== 'string') throw new EncodeError(`expected time string, got ${typeof value}`);
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  if (Number.isNaN(ms)) throw new EncodeError(`invalid time string ${JSON.stringify(value)}`);
  const fraction = /\.(\d+)/.exec(value)?.[1];
  const seconds = Math.floor(ms / 1000);
  const nanos = fraction === undefined ? 0 : Number(fraction.padEnd(9, '0').slice(0, 9));
  return { seconds, nanos };
}

function scalarIn(field: protobuf.Field, value: unknown): unknown {
  if (value === null) throw new EncodeError(`${field.name}: null`);
  const resolved = field.resolvedType;
  if (resolved !== null && 'fields' in resolved) {
    if (resolved.fullName === TIMESTAMP) return timestampOf(value);
    if (typeof value !== 'object' || Array.isArray(value))
      throw new EncodeError(`${field.name}: not a message`);
    return toMessageObject(resolved as protobuf.Type, value as Record<string, unknown>);
  }
  if (resolved !== null) return value; // an enum: a name or a number, as fromObject takes them
  if (NUMERIC.has(field.type)) {
    // lua-protobuf takes a number, or a string that reads as one.
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || Number.isNaN(n)) throw new EncodeError(`${field.name}: not a number`);
    return n;
  }
  if (field.type === 'bool') return typeof value === 'boolean' ? value : true; // Lua's truthiness
  if (field.type === 'string' && typeof value !== 'string')
    throw new EncodeError(`${field.name}: not a string`);
  return value;
}

/**
 * A JSON-shaped value checked and shaped for `type.fromObject`, as lua-protobuf's pb.encode
 * takes it: unknown fields ignored; a null, a wrong type (a number for a string) refused.
 */
export function toMessageObject(
  type: protobuf.Type,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    if (field === undefined) continue;
    field.resolve();
    if (field.map) {
      if (v === null || typeof v !== 'object') throw new EncodeError(`${key}: not a map`);
      const map: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) map[k] = scalarIn(field, item);
      out[key] = map;
    } else if (field.repeated) {
      if (!Array.isArray(v)) {
        // An empty JSON object is an empty Lua table: an empty list.
        if (v !== null && typeof v === 'object' && Object.keys(v).length === 0) out[key] = [];
        else throw new EncodeError(`${key}: not a list`);
      } else out[key] = v.map((item) => scalarIn(field, item));
    } else out[key] = scalarIn(field, v);
  }
  return out;
}

export function encodeMessage(type: protobuf.Type, value: Record<string, unknown>): Buffer {
  const message = type.fromObject(toMessageObject(type, value));
  return Buffer.from(type.encode(message).finish());
}

/** Kong's Timestamp decode hook: `date(seconds):fmt("${iso}")`, UTC, no zone, no fraction. */
function isoOf(value: { seconds?: unknown }): string {
  return new Date(Number(value.seconds ?? 0) * 1000).toISOString().slice(0, 19);
}

function scalarOut(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved !== null && 'fields' in resolved && value !== null && typeof value === 'object') {
    if (resolved.fullName === TIMESTAMP) return isoOf(value as { seconds?: unknown });
    return fromMessageObject(resolved as protobuf.Type, value as Record<string, unknown>);
  }
  return value;
}

function fromMessageObject(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    // An unset message field (protobufjs's null with `defaults`): absent, as lua-protobuf leaves it.
    if (value === null || value === undefined) continue;
    const field = type.fields[key];
    if (field === undefined) out[key] = value;
    else if (field.map) {
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) map[k] = scalarOut(field, v);
      out[key] = map;
    } else if (field.repeated) out[key] = (value as unknown[]).map((v) => scalarOut(field, v));
    else out[key] = scalarOut(field, value);
  }
  return out;
}

/**
 * A message as lua-protobuf's pb.decode gives it to cjson: field names as in the .proto, scalars
 * at their defaults included, lists (empty too) as arrays, enums by name, 64-bit integers as
 * numbers, bytes as base64, Timestamps as Kong's ISO strings.
 */
export function decodeMessage(type: protobuf.Type, payload: Buffer): Record<string, unknown> {
  const object = type.toObject(type.decode(payload), {
    defaults: true,
    arrays: true,
    enums: String,
    longs: Number,
    bytes: String,
  });
  return fromMessageObject(type, object);
}
