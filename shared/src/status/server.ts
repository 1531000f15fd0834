import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import { stoppableServer } from '../process/http-server.ts';
import type { Stoppable } from '../process/lifecycle.ts';
import type { MetricsSource } from './metrics.ts';

/** A part of the node that reports into `/status` and decides readiness. */
export interface StatusSource {
  readonly name: string;
  /** Fields merged into the `/status` body under `name`. */
  status(): Record<string, unknown>;
  /** Undefined when ready; otherwise why not, shown by `/status/ready` with a 503. */
  notReadyReason(): string | undefined;
}

export interface StatusServerOptions {
  host: string;
  port: number;
  log: Logger;
  version: string;
  role: string;
  sources: () => readonly StatusSource[];
  metrics?: MetricsSource;
}

export interface StatusServer extends Stoppable {
  readonly server: Server;
  readonly port: number;
}

/**
 * The status listener (Kong's `status_listen`): `/status` is liveness (200 while the process
 * serves), `/status/ready` is readiness (503 with a reason until every source is ready),
 * `/metrics` is Prometheus text.
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { log } = options;
  const started = Date.now();
  let requests = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests++;
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, { message: 'Method not allowed' });
    if (path === '/status') {
      const body: Record<string, unknown> = {
        version: options.version,
        role: options.role,
        uptime_seconds: Math.round((Date.now() - started) / 1000),
        server: { total_requests: requests, connections_active: await connections(server) },
        memory: { rss_bytes: process.memoryUsage.rss() },
      };
      for (const source of options.sources()) body[source.name] = source.status();
      return send(res, 200, body);
    }
    if (path === '/status/ready') {
      for (const source of options.sources()) {
        const reason = source.notReadyReason();
        if (reason !== undefined) return send(res, 503, { message: reason });
      }
      return send(res, 200, { message: 'ready' });
    }
    if (path === '/metrics' && options.metrics !== undefined) {
      const text = await options.metrics.metrics();
      res.writeHead(200, { 'content-type': options.metrics.contentType });
      res.end(text);
      return;
    }
    send(res, 404, { message: 'Not found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'status request failed');
      if (!res.headersSent) send(res, 500, { message: 'An unexpected error occurred' });
      else res.destroy();
    });
  });
  // Kong's status_error_log takes what nginx logs of a bad request: a warning, then nginx's 400.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code !== 'ECONNRESET')
      log.warn(
        { code: err.code, remote: (socket as { remoteAddress?: string }).remoteAddress },
        'status listener refused a malformed request',
      );
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  log.info({ host: options.host, port }, 'status listener started');
  return { ...stoppableServer('status listener', server), server, port };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
}
