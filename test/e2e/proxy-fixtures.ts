/**
 * Fixtures for the proxy's end-to-end tests (test/e2e/proxy-*.test.ts): a recording upstream that
 * keeps exactly what it received, a proxy started in this process on 127.0.0.1, raw-socket requests.
 */

import assert, { AssertionError } from 'node:assert';
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
import type { ProxyServiceConfig, Runtime, RuntimeSource } from '@turnpike/data-plane/runtime';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import { createLogger, type Logger } from '@turnpike/shared';

export interface RecordedHead {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
}

export interface Recorded extends RecordedHead {
  readonly body: Buffer;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface RecordingUpstream extends AsyncDisposable {
  readonly port: number;
  /** Every request received whole (head and complete body), in order. */
  readonly received: Recorded[];
  /** Every request head the upstream parsed, complete or not: a refused request must never be here. */
  readonly started: RecordedHead[];
  /** Bytes the upstream could not parse as HTTP (its parser's error codes). */
  readonly unparsed: string[];
  /**
   * What the upstream saw that the test said it must not (see `mustNotSee`). Disposing the
   * upstream fails the test when this is not empty, so a forgotten assertion cannot hide one.
   */
  readonly violations: string[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Resolves at the next recorded request. */
  next(): Promise<Recorded>;
  /**
   * From now on, every request head this upstream parses for which `forbidden` says yes (default:
   * every one), and any bytes it cannot parse, are violations.
   */
  mustNotSee(forbidden?: (head: RecordedHead) => boolean): void;
}

function echo(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() }));
}

function describeHead(head: RecordedHead): string {
  return `${head.method} ${JSON.stringify(head.url)} ${JSON.stringify(head.rawHeaders)}`;
}

export interface RecordingOptions {
  /** Awaited after a request head is recorded and before its body is read (a slow reader). */
  readonly beforeBody?: () => Promise<void>;
}

/** An upstream that records every request it parses, then answers with `handler` (default: echo). */
export async function recordingUpstream(
  handler: UpstreamHandler = echo,
  options: RecordingOptions = {},
): Promise<RecordingUpstream> {
  const received: Recorded[] = [];
  const started: RecordedHead[] = [];
  const unparsed: string[] = [];
  const violations: string[] = [];
  const waiters: ((r: Recorded) => void)[] = [];
  let forbidden: ((head: RecordedHead) => boolean) | undefined;
  const server = createServer(async (req, res) => {
    const head: RecordedHead = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    };
    started.push(head);
    if (forbidden?.(head) === true)
      violations.push(`parsed a request it must not see: ${describeHead(head)}`);
    const chunks: Buffer[] = [];
    try {
      await options.beforeBody?.();
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // the proxy aborted the request: never a complete one
    }
    const record: Recorded = { ...head, body: Buffer.concat(chunks) };
    received.push(record);
    waiters.shift()?.(record);
    handler(req, res, record.body);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A connection the proxy closed mid-request is expected of an aborted upstream request.
    if (err.code !== 'ECONNRESET' && err.code !== 'HPE_INVALID_EOF_STATE') {
      unparsed.push(err.code ?? err.message);
      if (forbidden !== undefined) violations.push(`got bytes it could not parse (${err.code})`);
    }
    socket.destroy();
  });
  const upstream: RecordingUpstream = {
    port: 0,
    received,
    started,
    unparsed,
    violations,
    connections: 0,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    mustNotSee(predicate = () => true) {
      forbidden = predicate;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      if (violations.length > 0) {
        throw new AssertionError({ message: `the upstream saw what it must not:\n${violations.join('\n')}` });
      }
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
  options: {
    settings?: Partial<ProxySettings>;
    https?: boolean;
    log?: Logger;
    /** The test's own edit of the compiled Runtime (a broken plugin chain, say), served instead. */
    edit?: (runtime: Runtime) => Runtime;
  } = {},
): Promise<TestProxy> {
  const pools = new UpstreamPools();
  const config = new ConfigApplier({ dispatchers: pools });
  config.install({ version: 1, services, routes });
  const edit = options.edit;
  const holder: RuntimeSource =
    edit === undefined ? config.runtime : { current: edit(config.runtime.current) };
  const settings: ProxySettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const listen = [{ host: '127.0.0.1', port: 0, ssl: false }];
  if (options.https === true) listen.push({ host: '127.0.0.1', port: 0, ssl: true });
  const log = options.log ?? createLogger({ level: 'silent' });
  const proxy = await startProxy({ listen, holder, settings, log });
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

export interface RawExchangeOptions {
  /** How long the connection may stay silent before the client gives up (`timedOut`). Default 1000 ms. */
  readonly idleMs?: number;
  /** The pause between the writes of a `bytes` given in parts. Default 20 ms. */
  readonly gapMs?: number;
  /** Close the client's side once everything is written, as `printf … | nc` does. */
  readonly halfClose?: boolean;
}

export interface RawExchange {
  /** Everything the proxy sent, as latin1. */
  readonly answer: string;
  /** The client gave up after `idleMs` of silence: the proxy neither answered in full nor closed. */
  readonly timedOut: boolean;
}

/**
 * Writes raw bytes to the proxy and collects everything it sends until it closes (or ends) the
 * connection. `bytes` may be several writes, `gapMs` apart. A reset by the proxy (it refused while
 * the client was still writing) ends the exchange, never the test.
 */
export async function rawExchange(
  port: number,
  bytes: string | readonly string[],
  options: RawExchangeOptions = {},
): Promise<RawExchange> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.setEncoding('latin1');
  let answer = '';
  let timedOut = false;
  socket.on('data', (d: string) => {
    answer += d;
  });
  const closed = new Promise<void>((resolve) => {
    socket.once('close', resolve);
    socket.once('end', resolve);
  });
  socket.setTimeout(options.idleMs ?? 1000, () => {
    timedOut = true;
    socket.destroy();
  });
  const parts = typeof bytes === 'string' ? [bytes] : bytes;
  for (const [i, part] of parts.entries()) {
    if (socket.destroyed) break;
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, options.gapMs ?? 20));
    socket.write(part, 'latin1');
  }
  if (options.halfClose === true) socket.end();
  await closed;
  socket.destroy();
  return { answer, timedOut };
}

/** rawExchange's answer: the usual way to send one raw request (idle: the keep-alive wait it allows). */
export async function rawRequest(
  port: number,
  bytes: string | readonly string[],
  idleMs = 1000,
  gapMs = 20,
): Promise<string> {
  return (await rawExchange(port, bytes, { idleMs, gapMs })).answer;
}

/** A recording upstream and a proxy in this process routing every path to it; disposed together. */
export async function proxiedUpstream(
  options: {
    routes?: readonly RouteConfig[];
    settings?: Partial<ProxySettings>;
    log?: Logger;
    handler?: UpstreamHandler;
  } = {},
) {
  const upstream = await recordingUpstream(options.handler);
  const proxy = await testProxy([service(upstream.port)], [...(options.routes ?? [route()])], {
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return {
    upstream,
    proxy,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await upstream[Symbol.asyncDispose]();
    },
  };
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

export interface CapturedLog {
  readonly log: Logger;
  /** Every line written, parsed. */
  readonly lines: Record<string, unknown>[];
}

/** A logger whose lines a test can read (level debug). */
export function capturedLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write(line: string): void {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  return { log: createLogger({ level: 'debug', destination, pretty: false }), lines };
}

const REQUEST_ID = /^[0-9a-f]{32}$/;

/**
 * A JSON error body of the proxy without its `request_id`, after checking it is one (32 hex
 * digits), as Kong's ERROR_TEMPLATES carry it.
 */
export function withoutRequestId(body: unknown): unknown {
  const { request_id, ...rest } = body as { request_id?: unknown };
  assert.match(String(request_id), REQUEST_ID, 'the error body carries the request id');
  return rest;
}

/** A text/plain error body of the proxy (`message\nrequest_id: …\n`) as `message\n`, the id checked. */
export function plainWithoutRequestId(text: string): string {
  const match = /^([^\n]*\n)request_id: ([0-9a-f]{32})\n$/.exec(text);
  assert.ok(match, `a Kong text error with its request id: ${JSON.stringify(text)}`);
  return match[1]!;
}

/** Which of two servers answered each of `n` requests to `url` (by its X-Server header, 0 or 1). */
export async function serverSpread(url: string, n: number): Promise<number[]> {
  const counts = [0, 0];
  for (let i = 0; i < n; i++) {
    const res = await fetch(url);
    await res.text();
    const which = Number(res.headers.get('x-server'));
    if (which === 0 || which === 1) counts[which]!++;
  }
  return counts;
}
