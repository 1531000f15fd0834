/**
 * tcp-log (Kong 3.10 kong/plugins/tcp-log/handler.lua): priority 7, the log phase only. Each
 * request's record (`ctx.serialize()`, Kong's kong.log.serialize) is sent as one JSON line to
 * `host:port`, over TLS when `tls` is set (SNI `tls_sni`). Delivery goes through one connection
 * per destination and worker (./connection.ts); the request never waits for it. A stream
 * session (`streamLog`, the instance's protocols listing tcp/tls/udp) sends its stream record.
 */
import { definePluginHandler, type Logger } from '@turnpike/plugin-sdk';
import { TcpLogConnection } from './connection.ts';
import type { TcpLogConfig } from './schema.ts';

interface Compiled {
  readonly key: string;
  readonly config: TcpLogConfig;
}

const connections = new Map<string, TcpLogConnection>();

function connection(compiled: Compiled, log: Logger): TcpLogConnection {
  let found = connections.get(compiled.key);
  if (found === undefined) {
    const created = new TcpLogConnection(compiled.config, log, () => {
      // Closed and nothing waits: forget it, so a removed or changed instance leaves nothing behind.
      if (connections.get(compiled.key) === created) connections.delete(compiled.key);
    });
    found = created;
    connections.set(compiled.key, found);
  }
  return found;
}

/** Open destinations of this worker (for tests and metrics). */
export function openConnections(): number {
  return connections.size;
}

/** A request's record (log) or a session's (streamLog), one JSON line. */
function send(ctx: { serialize(): object; readonly log: Logger }, compiled: Compiled): void {
  connection(compiled, ctx.log).send(`${JSON.stringify(ctx.serialize())}\n`);
}

export const handler = definePluginHandler<TcpLogConfig, Compiled>({
  name: 'tcp-log',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 7,
  sdkVersion: '1.3.0',
  configure(config) {
    const key = JSON.stringify([
      config.host,
      config.port,
      config.tls,
      config.tls_sni,
      config.timeout,
      config.keepalive,
    ]);
    return { key, config };
  },
  log: send,
  streamLog: send,
});
