/**
 * Stopping one proxy listener, whatever it is (node:http, node:https, or node:http2 with HTTP/1.1
 * allowed): stop accepting, let idle HTTP/1 connections go and HTTP/2 sessions finish their
 * streams (GOAWAY), then at the deadline (or at once for `now`) destroy every socket left,
 * WebSocket tunnels included, which node stops tracking once upgraded.
 */

import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StopMode, Stoppable } from '@turnpike/shared';

export type ProxyServer = HttpServer | Http2SecureServer;

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
      const closed = once(server, 'close');
      server.close();
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      for (const session of sessions) session.close();
      const timer = setTimeout(destroyAll, Math.max(0, deadline - Date.now()));
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
