/**
 * A plain-text listener flagged `http2`: HTTP/2 over cleartext with prior knowledge (h2c, what
 * gRPC clients speak to a `grpc` route) and HTTP/1.1 on the same port, told apart by the
 * connection's first bytes — the HTTP/2 connection preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` —
 * as nginx does for `listen … http2` without ssl.
 *
 * The node:http server is the one that listens (so stopping, limits and the HTTP/1 path are
 * the other listeners'); an HTTP/2 connection is handed to a node:http2 server that never
 * listens, whose requests and sessions are re-emitted on the node:http server. No Upgrade: h2c
 * dance: node does not offer it, and gRPC clients never use it.
 */

import { createServer as createHttpServer, type Server, type ServerOptions } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { ProxyLimits } from './settings.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** 'h2' once the bytes are the preface, 'h1' once they cannot be, undefined while they still might. */
export function sniffPreface(bytes: Buffer): 'h1' | 'h2' | undefined {
  const n = Math.min(bytes.length, PREFACE.length);
  if (bytes.compare(PREFACE, 0, n, 0, n) !== 0) return 'h1';
  return n === PREFACE.length ? 'h2' : undefined;
}

type ConnectionListener = (socket: Socket) => void;

export function createH2cServer(limits: ProxyLimits, options: ServerOptions): Server {
  const server = createHttpServer(options);
  const h2 = createHttp2Server({
    maxHeaderListPairs: limits.maxHeaderCount + 8,
    settings: { maxHeaderListSize: limits.maxHeaderSize + limits.maxUrlLength + 64 },
  });
  h2.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => server.emit('request', req, res));
  h2.on('session', (session) => server.emit('session', session));
  // node:http's own connection handler, called for HTTP/1 connections only.
  const http1 = server.listeners('connection') as ConnectionListener[];
  server.removeAllListeners('connection');
  server.prependListener('connection', (socket: Socket) => {
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const kind = sniffPreface(seen);
      if (kind === undefined) return;
      socket.off('data', onData);
      socket.pause();
      socket.unshift(seen);
      if (kind === 'h2') h2.emit('connection', socket);
      else {
        for (const listener of http1) listener.call(server, socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });
  return server;
}
