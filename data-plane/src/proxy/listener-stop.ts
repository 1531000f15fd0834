/**
 * Stopping one proxy listener, whatever it is (node:http, node:https, or node:http2 with HTTP/1.1
 * allowed): stop accepting, let idle HTTP/1 connections go and HTTP/2 sessions finish their
 * streams (GOAWAY), then at the deadline (or at once for `now`) destroy every socket left,
 * WebSocket tunnels included, which node stops tracking once upgraded.
 *
 * A drain answers every request still arriving on a kept-alive HTTP/1 connection with
 * `Connection: close`, and closes the connections idle at its start only after IDLE_GRACE_MS:
 * a client that reused one at the very moment it was closed would see its request fail, which a
 * reload's rolling worker replacement must not cause (the other workers serve the listener).
 */

import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StopMode, Stoppable } from '@turnpike/shared';

export type ProxyServer = HttpServer | Http2SecureServer;

/** How long a drain leaves idle keep-alive connections open for a request already on its way. */
const IDLE_GRACE_MS = 1_000;

export function stoppableListener(
  name: string,
  server: ProxyServer,
  tunnels: ReadonlySet<Duplex>,
): Stoppable {
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let draining = false;
  // First of the request listeners: a draining listener's answers close their connection.
  server.prependListener('request', (_req: unknown, res: { shouldKeepAlive?: boolean }) => {
    if (draining && 'shouldKeepAlive' in res) res.shouldKeepAlive = false;
  });
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const destroyAll = (): void => {
    for (const tunnel of tunnels) tunnel.destroy();
    for (const session of sessions) session.destroy();
    for (const socket of sockets) socket.destroy();
  };
  return {
    name,
    async stop(mode: StopMode, deadline: number): Promise<void> {
      if (mode === 'now') destroyAll();
      if (!server.listening) return;
      draining = true;
      const closed = once(server, 'close');
      const closeIdle = () => {
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      };
      // Node's close() closes idle connections at once: hold them until the grace is over.
      const idle = mode === 'now' ? undefined : holdIdle(server);
      server.close();
      if (idle === undefined) closeIdle();
      for (const session of sessions) session.close();
      const grace = setTimeout(
        () => {
          idle?.release();
          closeIdle();
        },
        Math.min(IDLE_GRACE_MS, Math.max(0, deadline - Date.now())),
      );
      const timer = setTimeout(destroyAll, Math.max(0, deadline - Date.now()));
      try {
        await closed;
      } finally {
        clearTimeout(grace);
        clearTimeout(timer);
      }
    },
  };
}

/** Makes `closeIdleConnections` a no-op until released (node's close() calls it). */
function holdIdle(server: ProxyServer): { release(): void } | undefined {
  if (!('closeIdleConnections' in server)) return undefined;
  const http = server as HttpServer & { closeIdleConnections?: () => void };
  http.closeIdleConnections = () => {};
  return {
    release() {
      // Back to the prototype's.
      Reflect.deleteProperty(http, 'closeIdleConnections');
    },
  };
}
