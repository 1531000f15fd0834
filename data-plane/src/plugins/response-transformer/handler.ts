/**
 * response-transformer (Kong 3.10 kong/plugins/response-transformer): edits the response headers
 * (remove, rename, replace, add, append) and a JSON body (the same on its top-level fields, with
 * json_types), the body buffered whole and Content-Length dropped.
 */
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import { compileJson, type JsonOps, transformJson } from './json.ts';
import { type Pair, pairOf } from './pairs.ts';
import type { ResponseTransformerConfig } from './schema.ts';

interface Compiled {
  readonly remove: readonly string[];
  readonly rename: readonly Pair[];
  readonly replace: readonly Pair[];
  readonly add: readonly Pair[];
  readonly append: readonly Pair[];
  /** The headers the operations test, read before any of them runs (Kong's get_headers snapshot). */
  readonly tested: readonly string[];
  readonly json: JsonOps | undefined;
}

/** Per request (kong.ctx.plugin): the body is to be transformed, and its chunks so far. */
const TRANSFORM = 'response-transformer:json';
const CHUNKS = 'response-transformer:chunks';
const NOTHING = Buffer.alloc(0);

/** Kong's is_json_body: one of the comma-separated media types is application/json or application/*+json. */
export function isJsonBody(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  for (const part of contentType.split(',')) {
    const [type, subtype] = part.split(';')[0]!.trim().toLowerCase().split('/');
    if (type === 'application' && subtype !== undefined && (subtype === 'json' || subtype.endsWith('+json')))
      return true;
  }
  return false;
}

function compile(conf: ResponseTransformerConfig): Compiled {
  const names = (entries: readonly string[]) => entries.map(pairOf);
  const c = {
    remove: conf.remove.headers.map((entry) => pairOf(entry).name),
    rename: names(conf.rename.headers),
    replace: names(conf.replace.headers),
    add: names(conf.add.headers),
    append: names(conf.append.headers),
    json: compileJson(conf),
  };
  const tested = new Set([...c.rename, ...c.replace, ...c.add].map((p) => p.name.toLowerCase()));
  return { ...c, tested: [...tested] };
}

function transformHeaders(ctx: PluginContext, c: Compiled): void {
  const before = new Map<string, string | undefined>();
  for (const name of c.tested) before.set(name, ctx.response.header(name));
  const had = (name: string) => before.get(name.toLowerCase()) !== undefined;
  for (const name of c.remove) ctx.clearResponseHeader(name);
  for (const { name, value } of c.rename) {
    const current = before.get(name.toLowerCase());
    if (current !== undefined && value !== '') {
      ctx.setResponseHeader(value, current);
      ctx.clearResponseHeader(name);
    }
  }
  for (const { name, value } of c.replace) if (had(name) && value !== '') ctx.setResponseHeader(name, value);
  for (const { name, value } of c.add) if (!had(name) && value !== '') ctx.setResponseHeader(name, value);
  for (const { name, value } of c.append) {
    if (value === '') continue;
    // Kong adds a header line; a list header's lines are one comma-joined value to HTTP.
    const current = ctx.response.header(name);
    ctx.setResponseHeader(name, current === undefined ? value : `${current}, ${value}`);
  }
}

export const handler = definePluginHandler<ResponseTransformerConfig, Compiled>({
  name: 'response-transformer',
  version: '3.10.0',
  priority: 800,
  sdkVersion: '1.1.0',

  configure: compile,

  header(ctx, c) {
    transformHeaders(ctx, c);
    if (c.json !== undefined && isJsonBody(ctx.response.header('content-type'))) {
      ctx.clearResponseHeader('Content-Length');
      ctx.shared.set(TRANSFORM, true);
    }
  },

  body(ctx, c, chunk, eof) {
    if (c.json === undefined || ctx.shared.get(TRANSFORM) !== true) return chunk;
    let chunks = ctx.shared.get(CHUNKS) as Buffer[] | undefined;
    if (chunks === undefined) {
      chunks = [];
      ctx.shared.set(CHUNKS, chunks);
    }
    if (chunk.length > 0) chunks.push(chunk);
    if (!eof) return NOTHING;
    const whole = Buffer.concat(chunks);
    const transformed = transformJson(c.json, whole.toString('utf8'));
    if (transformed === undefined) {
      ctx.log.warn('body transform failed: failed parsing json body');
      return whole;
    }
    return Buffer.from(transformed);
  },
});
