/**
 * The proxy listeners: node:http (and node:https for `ssl` entries) with the strict llhttp
 * parser, Turnpike's limits, and Kong-shaped answers to requests the parser refuses.
 */

import { mkdir } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
} from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Logger, StopMode, Stoppable } from '@turnpike/shared';
import type { ListenEntry } from '@turnpike/shared/config';
import type { RuntimeSource } from '../runtime/index.ts';
import { answerAfterPending, answerClientError } from './client-error.ts';
import { createH2cServer } from './h2c.ts';
import { rawKongError } from './kong-responses.ts';
import { type ProxyServer, stoppableListener } from './listener-stop.ts';
import { ProxyPipeline } from './pipeline.ts';
import type { RequestObserver } from './request-entry.ts';
import { newRequestId } from './request-id.ts';
import { DEFAULT_SETTINGS, type ProxyLimits, type ProxySettings } from './settings.ts';
import { sniCallback } from './sni.ts';
import { defaultProxyCertificate, type ProxyTlsOptions } from './tls.ts';
import { WebSocketProxy } from './websocket.ts';
import { isWebSocketUpgrade } from './websocket-handshake.ts';

/**
 * A proxy_listen entry; `http2` offers HTTP/2 beside HTTP/1.1: by ALPN with `ssl`, by the
 * connection preface (h2c, prior knowledge) without.
 */
export type ProxyListenEntry = Pick<ListenEntry, 'host' | 'port' | 'ssl'> & { readonly http2?: boolean };

export interface StartProxyOptions {
  readonly listen: readonly ProxyListenEntry[];
  /** Listen with SO_REUSEPORT (an in-process worker whose successor binds the same ports). */
  readonly reusePort?: boolean;
  readonly holder: RuntimeSource;
  readonly log: Logger;
  readonly settings?: ProxySettings;
  /** Told of every finished plain request (access logs, metrics); none: nothing is recorded per request. */
  readonly observer?: RequestObserver;
  /**
   * The ssl listeners' default certificate (see proxyTlsFromConfig); a self-signed one is generated
   * when absent. Certificate entities of the current Runtime are chosen by SNI over it.
   */
  readonly tls?: ProxyTlsOptions;
}

export interface RunningProxy extends Stoppable {
  /** The bound port of each listen entry, in order (useful with port 0). */
  readonly ports: readonly number[];
}

function serverOptions(limits: ProxyLimits): ServerOptions {
  return {
    // Never insecureHTTPParser: lenient parsing is how smuggling starts.
    insecureHTTPParser: false,
    requireHostHeader: true,
    joinDuplicateHeaders: false,
    // The request line and the headers each have their own limit, checked in the pipeline.
    maxHeaderSize: limits.maxHeaderSize + limits.maxUrlLength + 64,
    headersTimeout: limits.headerTimeout,
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    // Other upgrades (h2c…) are plain requests whose Upgrade header is dropped, as Kong does.
    shouldUpgradeCallback: isWebSocketUpgrade,
  };
}

/**
 * HTTP/2 and HTTP/1.1 on one TLS port, chosen by ALPN. node's http2 server hands HTTP/1.1
 * connections to node:http's connection handler, which reads its parser options from the
 * server object: they are set there, as node:http's own constructor does.
 */
function createH2Server(limits: ProxyLimits, tls: ProxyTlsOptions): Http2SecureServer {
  const server = createSecureServer({
    allowHTTP1: true,
    cert: tls.cert,
    key: tls.key,
    ...(tls.SNICallback === undefined ? {} : { SNICallback: tls.SNICallback }),
    // Pseudo-headers count as pairs too; the header count limit proper is checked in the pipeline.
    maxHeaderListPairs: limits.maxHeaderCount + 8,
    settings: { maxHeaderListSize: limits.maxHeaderSize + limits.maxUrlLength + 64 },
  });
  Object.assign(server, serverOptions(limits));
  return server;
}

function createListener(
  entry: ProxyListenEntry,
  limits: ProxyLimits,
  tls: ProxyTlsOptions | undefined,
): ProxyServer {
  if (!entry.ssl || tls === undefined) {
    return entry.http2 === true
      ? createH2cServer(limits, serverOptions(limits))
      : createHttpServer(serverOptions(limits));
  }
  if (entry.http2 === true) return createH2Server(limits, tls);
  return createHttpsServer({ ...serverOptions(limits), ...tls });
}

function configure(
  server: ProxyServer,
  pipeline: ProxyPipeline,
  websocket: WebSocketProxy,
  settings: ProxySettings,
  log: Logger,
): void {
  // One more than the limit, so that an excess is seen (node drops headers past maxHeadersCount).
  (server as Server).maxHeadersCount = settings.limits.maxHeaderCount + 1;
  // A client that half-closes after its request (`printf … | nc`) still gets its answers, as from
  // nginx: node's default ends the socket at the client's FIN, losing every response not yet written.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // HTTP/2 requests come as node's compat objects, which the pipeline reads like IncomingMessage.
  server.on('request', pipeline.handle);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    log.debug({ code: err.code }, 'client request refused');
    answerClientError(err, socket, settings.headers);
  });
  // CONNECT asks for a tunnel, which a reverse proxy does not offer (after any pipelined answers).
  server.on('connect', (_req: IncomingMessage, socket: Duplex) =>
    answerAfterPending(socket, rawKongError(405, settings.headers, newRequestId())),
  );
  server.on('upgrade', websocket.handle);
}

async function listen(server: ProxyServer, host: string, port: number, reusePort: boolean): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

/** Starts one server per listen entry; stopping closes them all (drain or now). */
export async function startProxy(options: StartProxyOptions): Promise<RunningProxy> {
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const needsTls = options.listen.some((entry) => entry.ssl);
  const tls: ProxyTlsOptions | undefined = needsTls
    ? { SNICallback: sniCallback(options.holder), ...(options.tls ?? (await defaultProxyCertificate())) }
    : undefined;
  // Where request bodies over client_body_buffer_size wait (request-body.ts); private to this user.
  await mkdir(settings.bodyTempDir ?? tmpdir(), { recursive: true, mode: 0o700 });
  const servers: Stoppable[] = [];
  const ports: number[] = [];
  try {
    for (const entry of options.listen) {
      const server = createListener(entry, settings.limits, tls);
      server.on('connection', (socket: Socket) => socket.setNoDelay(true));
      const observer = options.observer;
      if (observer?.connectionOpened !== undefined) {
        server.on('connection', (socket: Socket) => observer.connectionOpened!(socket));
      }
      const port = await listen(server, entry.host, entry.port, options.reusePort === true);
      const info = { https: entry.ssl, port };
      const websocket = new WebSocketProxy(options.holder, settings, info, options.log, options.observer);
      const pipeline = new ProxyPipeline(options.holder, settings, info, options.log, options.observer);
      configure(server, pipeline, websocket, settings, options.log);
      servers.push(stoppableListener(`proxy ${entry.host}:${port}`, server, websocket.tunnels));
      ports.push(port);
    }
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.stop('now', Date.now())));
    throw err;
  }
  options.log.info({ ports }, 'proxy listening');
  return {
    name: 'proxy',
    ports,
    async stop(mode: StopMode, deadline: number): Promise<void> {
      await Promise.all(servers.map((s) => s.stop(mode, deadline)));
    },
  };
}
