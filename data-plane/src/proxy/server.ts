/**
 * The proxy listeners: node:http (and node:https for `ssl` entries) with the strict llhttp
 * parser, Turnpike's limits, and Kong-shaped answers to requests the parser refuses.
 */

import { createServer as createHttpServer, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Logger, type StopMode, type Stoppable, stoppableServer } from '@turnpike/shared';
import type { ListenEntry } from '@turnpike/shared/config';
import type { RuntimeHolder } from '../runtime/index.ts';
import { rawKongError } from './kong-responses.ts';
import { ProxyPipeline } from './pipeline.ts';
import {
  DEFAULT_SETTINGS,
  type ProxyLimits,
  type ProxySettings,
  type ResponseHeaderFlags,
} from './settings.ts';
import { defaultProxyCertificate, type ProxyTlsOptions } from './tls.ts';

export interface StartProxyOptions {
  readonly listen: readonly Pick<ListenEntry, 'host' | 'port' | 'ssl'>[];
  readonly holder: RuntimeHolder;
  readonly log: Logger;
  readonly settings?: ProxySettings;
  /** For ssl listeners; a self-signed certificate is generated when absent. */
  readonly tls?: ProxyTlsOptions;
}

export interface RunningProxy extends Stoppable {
  /** The bound port of each listen entry, in order (useful with port 0). */
  readonly ports: readonly number[];
}

/** Status for a request node's parser refused (err.code from llhttp or node). */
export function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_HEADERS_TIMEOUT':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
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
  };
}

function answerAndClose(socket: Duplex, status: number, flags: ResponseHeaderFlags): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawKongError(status, flags));
}

function configure(server: Server, pipeline: ProxyPipeline, settings: ProxySettings, log: Logger): void {
  // One more than the limit, so that an excess is seen (node drops headers past maxHeadersCount).
  server.maxHeadersCount = settings.limits.maxHeaderCount + 1;
  server.on('request', pipeline.handle);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    log.debug({ code: err.code }, 'client request refused');
    answerAndClose(socket, clientErrorStatus(err.code), settings.headers);
  });
  // CONNECT asks for a tunnel, which a reverse proxy does not offer.
  server.on('connect', (_req, socket: Duplex) => answerAndClose(socket, 405, settings.headers));
  server.on('upgrade', (_req, socket: Duplex) => answerAndClose(socket, 400, settings.headers));
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
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
  const tls = needsTls ? (options.tls ?? (await defaultProxyCertificate())) : undefined;
  const servers: Stoppable[] = [];
  const ports: number[] = [];
  try {
    for (const entry of options.listen) {
      const server = entry.ssl
        ? createHttpsServer({ ...serverOptions(settings.limits), ...tls })
        : createHttpServer(serverOptions(settings.limits));
      server.on('connection', (socket: Socket) => socket.setNoDelay(true));
      const port = await listen(server, entry.host, entry.port);
      configure(
        server,
        new ProxyPipeline(options.holder, settings, { https: entry.ssl, port }),
        settings,
        options.log,
      );
      servers.push(stoppableServer(`proxy ${entry.host}:${port}`, server));
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
