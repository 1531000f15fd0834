/**
 * request-termination (Kong 3.10 kong/plugins/request-termination/handler.lua): answers every
 * request itself — a status with a message, a raw body of a content type, or (`echo`) a copy of
 * the request — optionally only when the `trigger` header or query argument is present.
 */
import { hostname } from 'node:os';
import { definePluginHandler, type PluginContext, parseBodyFields } from '@turnpike/plugin-sdk';
import type { RequestTerminationConfig } from './schema.ts';

const DEFAULT_RESPONSE: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  500: 'An unexpected error occurred',
  502: 'Bad Gateway',
  503: 'Service unavailable',
};

/** kong.request.get_query: a repeated argument as an array (a bare one is "", where Kong says true). */
function queryObject(ctx: PluginContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const raw = ctx.request.query;
  for (const key of new Set(raw.keys())) {
    const values = raw.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** kong.request.get_host: the Host header's name, lowercase, without its port. */
function hostOf(ctx: PluginContext): string {
  const host = (ctx.request.header('host') ?? '').toLowerCase();
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
}

async function echo(ctx: PluginContext, conf: RequestTerminationConfig): Promise<void> {
  const request = ctx.request;
  const raw = await request.readBody();
  const body = parseBodyFields(raw, request.header('content-type'));
  ctx.response.exit(conf.status_code, {
    message: conf.message ?? DEFAULT_RESPONSE[conf.status_code],
    kong: { worker_pid: process.pid, hostname: hostname() },
    request: {
      scheme: request.scheme,
      host: hostOf(ctx),
      port: request.port,
      headers: request.headers,
      query: queryObject(ctx),
      ...(body === undefined ? {} : { body }),
      ...(raw.length === 0 ? {} : { raw_body: raw.toString('utf8') }),
      method: request.method,
      path: request.path,
      uri_captures: request.uriCaptures,
    },
    matched_route: ctx.route,
    matched_service: ctx.service ?? null,
  });
}

function terminate(ctx: PluginContext, conf: RequestTerminationConfig): void {
  if (conf.body != null) {
    // Without content_type, nginx's default_type.
    ctx.response.exit(conf.status_code, Buffer.from(conf.body), {
      'Content-Type': conf.content_type ?? 'text/plain',
    });
    return;
  }
  const message = conf.message ?? DEFAULT_RESPONSE[conf.status_code];
  ctx.response.exit(conf.status_code, message === undefined ? undefined : { message });
}

export const handler = definePluginHandler<RequestTerminationConfig>({
  name: 'request-termination',
  version: '3.10.0',
  priority: 2,
  sdkVersion: '1.0.0',

  access(ctx, conf) {
    const trigger = conf.trigger;
    // A trigger is set and the request does not carry it: nothing to do.
    if (trigger != null && ctx.request.header(trigger) === undefined && !ctx.request.query.has(trigger))
      return undefined;
    if (conf.echo) return echo(ctx, conf);
    terminate(ctx, conf);
    return undefined;
  },
});
