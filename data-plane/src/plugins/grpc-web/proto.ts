/**
 * The .proto file of a grpc-web instance (`config.proto`), read with protobufjs on first use and
 * kept for the process (Kong's deco.lua caches `_proto_info` per file name the same way): the
 * input and output message types of each method, by its gRPC path `/<package>.<Service>/<Method>`.
 * Imports are looked up beside the importing file, beside the main file, then in Kong's include
 * directories; `google/protobuf/*` and `google/api/*` come with protobufjs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type protobuf from 'protobufjs';

export interface MethodTypes {
  readonly input: protobuf.Type;
  readonly output: protobuf.Type;
}

const require = createRequire(import.meta.url);
/** Kong's protoc include paths (kong/tools/grpc.lua), in its order. */
const KONG_INCLUDES = [
  '/usr/local/kong/include',
  '/usr/local/opt/protobuf/include/',
  '/usr/include',
  'kong/include',
];

const loaded = new Map<string, ReadonlyMap<string, MethodTypes>>();

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

/** `/<package>.<Service>/<Method>` of each method the file (and what it imports) defines. */
export function methodTable(file: string): ReadonlyMap<string, MethodTypes> {
  const known = loaded.get(file);
  if (known !== undefined) return known;
  const root = loadRoot(file);
  const table = new Map<string, MethodTypes>();
  eachService(root, (service) => {
    const name = service.fullName.replace(/^\./, '');
    for (const method of service.methodsArray) {
      method.resolve();
      table.set(`/${name}/${method.name}`, {
        input: method.resolvedRequestType!,
        output: method.resolvedResponseType!,
      });
    }
  });
  loaded.set(file, table);
  return table;
}

/** What a decoded message becomes in JSON: field names as in the .proto, enums by name, no defaults. */
export const TO_JSON: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: String };

export function encodeJson(type: protobuf.Type, json: unknown): Buffer {
  const message = type.fromObject((json ?? {}) as Record<string, unknown>);
  return Buffer.from(type.encode(message).finish());
}

export function decodeToJson(type: protobuf.Type, payload: Buffer): string {
  return JSON.stringify(type.toObject(type.decode(payload), TO_JSON));
}
