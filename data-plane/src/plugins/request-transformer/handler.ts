/**
 * request-transformer (Kong 3.10 kong/plugins/request-transformer): rewrites the request before
 * it reaches the service — the path (replace.uri), the method (http_method), headers, the query
 * string and a JSON, url-encoded or multipart body — with values from templates over the
 * client's request (template.ts: the safe subset of Kong's Lua templates).
 */
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import { type Compiled, compile } from './compile.ts';
import type { RequestTransformerConfig } from './schema.ts';
import { render } from './template.ts';
import {
  templateEnv,
  transformBody,
  transformHeaders,
  transformMethod,
  transformQuery,
} from './transform.ts';

/** Needs the body: a method change with a form body, or body operations. */
function readsBody(c: Compiled): boolean {
  return c.method !== undefined || c.body.any;
}

async function transformAll(ctx: PluginContext, c: Compiled): Promise<void> {
  const env = templateEnv(ctx);
  if (c.uri !== undefined) ctx.setUpstreamPath(render(c.uri, env));
  const base = await transformMethod(ctx, c);
  transformHeaders(ctx, c.headers, env);
  await transformBody(ctx, c.body, env);
  transformQuery(ctx, c.querystring, env, base);
}

export const handler = definePluginHandler<RequestTransformerConfig, Compiled>({
  name: 'request-transformer',
  version: '3.10.0',
  priority: 801,
  sdkVersion: '1.1.0',

  configure: compile,

  access(ctx, c) {
    if (readsBody(c)) return transformAll(ctx, c);
    // Without the body, synchronously (no promise per request).
    const env = templateEnv(ctx);
    if (c.uri !== undefined) ctx.setUpstreamPath(render(c.uri, env));
    transformHeaders(ctx, c.headers, env);
    transformQuery(ctx, c.querystring, env, undefined);
    return undefined;
  },
});
