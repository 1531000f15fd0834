import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface EchoUpstream extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  /** Every request received, in order. */
  readonly received: { method: string; url: string; headers: IncomingMessage['headers'] }[];
}

export interface EchoUpstreamOptions {
  /**
   * Idle keep-alive, announced in `Keep-Alive: timeout=`. 1 s by default, which undici (the
   * proxy's upstream pool) takes as too short to reuse: within its 1 s margin it closes the
   * connection after each response. Benchmarks under load give more so connections are reused.
   */
  readonly keepAliveTimeoutMs?: number;
  /** false: `received` stays empty (a benchmark's long load would keep every request). */
  readonly record?: boolean;
}

/** An upstream on 127.0.0.1 that answers every request with JSON naming itself and what it got. */
export async function startEchoUpstream(
  name = 'upstream',
  options: EchoUpstreamOptions = {},
): Promise<EchoUpstream> {
  const received: EchoUpstream['received'] = [];
  const record = options.record ?? true;
  const server = createServer((req, res) => {
    if (record) received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ upstream: name, method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface WebSocketEchoUpstream extends AsyncDisposable {
  readonly port: number;
  /** The handshakes the upstream accepted: path and headers. */
  readonly handshakes: { url: string; headers: IncomingHttpHeaders }[];
}

/** A WebSocket echo server on 127.0.0.1 that records each handshake; plain requests get 200 "plain". */
export async function startWebSocketEchoUpstream(): Promise<WebSocketEchoUpstream> {
  const handshakes: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    handshakes.push({ url: req.url ?? '', headers: req.headers });
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    handshakes,
    async [Symbol.asyncDispose]() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
