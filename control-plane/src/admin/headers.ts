/**
 * The headers Kong's admin_header_filter (kong/init.lua) puts on every Admin API answer, as the
 * `headers` key enables them (kong/conf_loader): `Server: turnpike/<version>` (Kong's
 * `kong/<version>`) with `server_tokens` or `Server`, and `X-Kong-Admin-Latency` (milliseconds
 * spent on the request) with `latency_tokens` or `X-Kong-Admin-Latency`; `off` sends neither.
 * The proxy reads the same key for its own headers.
 */
import type { FastifyInstance } from 'fastify';

export interface AdminHeaderFlags {
  readonly server: boolean;
  readonly adminLatency: boolean;
}

export function adminHeaderFlags(tokens: readonly string[]): AdminHeaderFlags {
  const on = new Set(tokens.map((t) => t.toLowerCase()));
  if (on.has('off')) return { server: false, adminLatency: false };
  return {
    server: on.has('server_tokens') || on.has('server'),
    adminLatency: on.has('latency_tokens') || on.has('x-kong-admin-latency'),
  };
}

export function serverToken(version: string): string {
  return `turnpike/${version}`;
}

/** Adds the enabled headers to every answer, errors and 404s included. */
export function registerAdminHeaders(app: FastifyInstance, flags: AdminHeaderFlags, version: string): void {
  if (!flags.server && !flags.adminLatency) return;
  const server = serverToken(version);
  app.addHook('onSend', async (_request, reply, payload) => {
    if (flags.server) reply.header('server', server);
    if (flags.adminLatency) reply.header('x-kong-admin-latency', String(Math.round(reply.elapsedTime)));
    return payload;
  });
}
