/**
 * Fixtures for the proxy's end-to-end tests (test/e2e/proxy-*.test.ts): a recording upstream that
 * keeps exactly what it received, a proxy started in this process on 127.0.0.1, raw-socket requests.
 */

import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { ConfigApplier } from '@turnpike/data-plane/config';
import {
  DEFAULT_SETTINGS,
  type ProxySettings,
  type RunningProxy,
  startProxy,
} from '@turnpike/data-plane/proxy';
import type { RouteConfig } from '@turnpike/data-plane/router';
import type { ProxyServiceConfig, RuntimeSource } from '@turnpike/data-plane/runtime';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import { createLogger } from '@turnpike/shared';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface RecordingUpstream extends AsyncDisposable {
  readonly port: number;
  readonly received: Recorded[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Resolves at the next recorded request. */
  next(): Promise<Recorded>;
}

function echo(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() }));
}

/** An upstream that records every complete request, then answers with `handler` (default: echo). */
export async function recordingUpstream(handler: UpstreamHandler = echo): Promise<RecordingUpstream> {
  const received: Recorded[] = [];
  const waiters: ((r: Recorded) => void)[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const record: Recorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks),
    };
    received.push(record);
    waiters.shift()?.(record);
    handler(req, res, record.body);
  });
  const upstream: RecordingUpstream = {
    port: 0,
    received,
    connections: 0,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
    },
  };
  server.on('connection', () => {
    upstream.connections++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  (upstream as { port: number }).port = (server.address() as { port: number }).port;
  return upstream;
}

/** A port nobody listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export function service(port: number, extra: Partial<ProxyServiceConfig> = {}): ProxyServiceConfig {
  return { id: 'svc', protocol: 'http', host: '127.0.0.1', port, ...extra };
}

export function route(extra: Partial<RouteConfig> = {}): RouteConfig {
  return { id: 'route', paths: ['/'], service: { id: 'svc' }, ...extra };
}

export interface TestProxy extends AsyncDisposable {
  readonly proxy: RunningProxy;
  readonly holder: RuntimeSource;
  readonly pools: UpstreamPools;
  readonly port: number;
  /** The https listener's port, when started with https. */
  readonly httpsPort: number | undefined;
  url(path: string): string;
  /** Compiles and swaps in a new configuration. */
  apply(services: ProxyServiceConfig[], routes: RouteConfig[], version?: number): void;
}

export async function testProxy(
  services: ProxyServiceConfig[],
  routes: RouteConfig[],
  options: { settings?: Partial<ProxySettings>; https?: boolean } = {},
): Promise<TestProxy> {
  const pools = new UpstreamPools();
  const config = new ConfigApplier({ dispatchers: pools });
  config.install({ version: 1, services, routes });
  const holder = config.runtime;
  const settings: ProxySettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const listen = [{ host: '127.0.0.1', port: 0, ssl: false }];
  if (options.https === true) listen.push({ host: '127.0.0.1', port: 0, ssl: true });
  const proxy = await startProxy({ listen, holder, settings, log: createLogger({ level: 'silent' }) });
  const port = proxy.ports[0]!;
  return {
    proxy,
    holder,
    pools,
    port,
    httpsPort: proxy.ports[1],
    url: (path) => `http://127.0.0.1:${port}${path}`,
    apply(nextServices, nextRoutes, version = 2) {
      config.install({ version, services: nextServices, routes: nextRoutes });
    },
    async [Symbol.asyncDispose]() {
      await proxy.stop('now', Date.now());
      await pools.close();
    },
  };
}

/** Writes raw bytes to the proxy and collects everything it answers until it closes (or `idleMs`). */
export async function rawRequest(port: number, bytes: string, idleMs = 1000): Promise<string> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setEncoding('latin1');
  let answer = '';
  socket.on('data', (d: string) => {
    answer += d;
  });
  socket.write(bytes);
  socket.setTimeout(idleMs, () => socket.destroy());
  await Promise.race([once(socket, 'close'), once(socket, 'end')]);
  socket.destroy();
  return answer;
}

/** Status codes of every response in a raw answer, in order. */
export function statuses(answer: string): number[] {
  return [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A request through node:http, which (unlike fetch) lets a test set Host and hop-by-hop headers. */
export async function send(
  port: number,
  path: string,
  headers: Record<string, string | string[]> = {},
  method = 'GET',
  body?: string,
): Promise<SimpleResponse> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
