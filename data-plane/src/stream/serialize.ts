/**
 * Kong's stream serializer (kong/pdk/log.lua `serialize()`, the stream subsystem's branch) over a
 * closed session: what a plugin's `streamLog` gets from `ctx.serialize()`.
 */

import type { SerializedStreamRecord } from '@turnpike/plugin-sdk';
import type { ClosedStream } from './stream-call.ts';

/** The record of one closed session. */
export function serializeStream(done: ClosedStream): SerializedStreamRecord {
  const record: Record<string, unknown> = {
    session: {
      ...(done.tls === undefined ? {} : { tls: done.tls }),
      received: done.clientReceived,
      sent: done.bytesOut,
      status: done.status,
      server_port: done.serverPort,
    },
    upstream: { received: done.upstreamReceived, sent: done.bytesIn },
    latencies: { kong: Math.max(0, done.kongMs), session: Math.max(0, done.sessionMs) },
    client_ip: done.clientIp,
    started_at: done.startedAt,
    workspace_name: 'default',
  };
  if (done.tries.length > 0) {
    // A failed try carries Kong's state and code (the balancer's get_last_failure).
    record.tries = done.tries.map((t) =>
      'code' in t ? { ip: t.ip, port: t.port, state: 'failed', code: t.code } : { ip: t.ip, port: t.port },
    );
  }
  record.route = done.route.route;
  if (done.route.service !== undefined) record.service = done.route.service;
  return record as unknown as SerializedStreamRecord;
}
