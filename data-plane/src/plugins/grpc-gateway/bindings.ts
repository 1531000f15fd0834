/**
 * The REST bindings of a .proto (deco.lua get_proto_info): per HTTP method, each method's
 * `google.api.http` rule and its first-level `additional_bindings`, in file order, each with its
 * path template, the gRPC path it rewrites to, and its `body` mapping.
 */

import { protoMethods } from '@turnpike/plugin-sdk/protobuf';
import type protobuf from 'protobufjs';
import { compileTemplate, type PathTemplate } from './template.ts';

export interface Endpoint {
  readonly template: PathTemplate;
  readonly rewritePath: string;
  readonly input: protobuf.Type;
  readonly output: protobuf.Type;
  /** The rule's `body`: `*`, a field name, or undefined (query arguments fill the message). */
  readonly body: string | undefined;
}

const VALID_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);
const bindings = new Map<string, ReadonlyMap<string, readonly Endpoint[]>>();

export function endpointsOf(file: string): ReadonlyMap<string, readonly Endpoint[]> {
  const known = bindings.get(file);
  if (known !== undefined) return known;
  const table = new Map<string, Endpoint[]>();
  for (const [rewritePath, method] of protoMethods(file)) {
    const rule = method.http;
    if (rule === undefined) continue;
    const extra = rule.additional_bindings;
    const rules = [rule, ...(Array.isArray(extra) ? extra : extra === undefined ? [] : [extra])] as Record<
      string,
      unknown
    >[];
    for (const options of rules) {
      for (const [key, path] of Object.entries(options)) {
        const verb = key.toLowerCase();
        if (!VALID_METHODS.has(verb) || typeof path !== 'string') continue;
        let list = table.get(verb);
        if (list === undefined) {
          list = [];
          table.set(verb, list);
        }
        list.push({
          template: compileTemplate(path),
          rewritePath,
          input: method.input,
          output: method.output,
          body: typeof options.body === 'string' ? options.body : undefined,
        });
      }
    }
  }
  bindings.set(file, table);
  return table;
}
