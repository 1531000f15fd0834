/**
 * The request pipeline, top to bottom: limits → router → https redirect → service → upstream
 * headers → (plugin chain) → forward. Everything derivable from the config was compiled before;
 * per request there is one header scan, one match and one ForwardCall.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { type Logger, RequestBodyBufferError } from '@turnpike/shared';
import type { HeaderLookup, Match } from '../router/index.ts';
import { match } from '../router/index.ts';
import type { PluginChain, PluginRun, RuntimeSource, ServiceDispatch } from '../runtime/index.ts';
import { compileTrustedIps, peerOf, realClientAddress } from './client-address.ts';
import { ForwardCall } from './forward.ts';
import { appendForwardedHeaders, hostName, hostValueIndex } from './forwarded-headers.ts';
import {
  NO_SERVICE_BODY,
  sendHttpsRedirect,
  sendKongError,
  sendNoRoute,
  sendPluginExit,
  sendWebSocketOnly,
} from './kong-responses.ts';
import {
  type BodyBufferSettings,
  type BodyWaiter,
  type BufferedBody,
  bufferRequestBody,
  streamRequestBody,
} from './request-body.ts';
import { failRequest, failureId } from './request-failure.ts';
import { RequestHeaderScanner, type ScannedHeaders } from './request-headers.ts';
import { requestLineStatus } from './request-line.ts';
import type { ProxySettings, ResponseHeaderFlags } from './settings.ts';
import { isWebSocketOnly } from './websocket-handshake.ts';

const NO_HEADERS: HeaderLookup = Object.freeze({});

/** What a listener adds to the request: its scheme and port (X-Forwarded-Proto / -Port). */
export interface ListenerInfo {
  readonly https: boolean;
  readonly port: number;
}

/** node's HTTP/2 compat request: the stream says whether a body follows the headers. */
type Http2Request = IncomingMessage & { readonly stream?: { readonly endAfterHeaders: boolean } };

export class ProxyPipeline {
  readonly #holder: RuntimeSource;
  readonly #settings: ProxySettings;
  readonly #listener: ListenerInfo;
  readonly #scheme: 'http' | 'https';
  readonly #port: string;
  readonly #scanner: RequestHeaderScanner;
  readonly #trusted: BlockList | undefined;
  readonly #log: Logger;
  readonly #bodies: BodyBufferSettings;
  readonly #context: ListenerContext;

  constructor(holder: RuntimeSource, settings: ProxySettings, listener: ListenerInfo, log: Logger) {
    this.#holder = holder;
    this.#settings = settings;
    this.#listener = listener;
    this.#scheme = listener.https ? 'https' : 'http';
    this.#port = String(listener.port);
    this.#scanner = new RequestHeaderScanner(settings.realIpHeader, settings.limits.maxHeaderSize);
    this.#trusted = compileTrustedIps(settings.trustedIps);
    this.#log = log;
    this.#bodies = {
      memory: settings.limits.bodyBufferSize,
      max: settings.limits.maxBodySize,
      tempDir: settings.bodyTempDir ?? tmpdir(),
    };
    this.#context = { scheme: this.#scheme, flags: settings.headers, log };
  }

  /** node's 'request' listener. Whatever it throws ends this request only (request-failure.ts). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    try {
      this.#handle(req, res, startedAt);
    } catch (err) {
      failRequest(req, res, err, this.#settings.headers, startedAt, this.#log);
    }
  };

  #handle(req: IncomingMessage, res: ServerResponse, startedAt: number): void {
    // Read once: a swap during this request does not change what it sees.
    const runtime = this.#holder.current;
    const settings = this.#settings;
    const flags = settings.headers;
    const limits = settings.limits;
    const url = req.url ?? '';
    const raw = req.rawHeaders;
    const major = req.httpVersionMajor;
    // A request line may say HTTP/2.0 on an HTTP/1 connection: only node's compat request has a stream.
    const http2 = major === 2 && (req as Http2Request).stream !== undefined;
    const refused = requestLineStatus(url, raw, limits, major, http2);
    if (refused !== 0) {
      sendKongError(res, refused, flags, startedAt, true);
      return;
    }
    const scanned = this.#scanner.scan(raw);
    if (scanned.status !== 0) {
      sendKongError(res, scanned.status, flags, startedAt, true);
      return;
    }
    if (limits.maxBodySize > 0 && scanned.contentLength > limits.maxBodySize) {
      sendKongError(res, 413, flags, startedAt, true);
      return;
    }

    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const scheme = this.#scheme;
    const found = match(runtime.router, {
      method: req.method ?? 'GET',
      scheme,
      host: scanned.host,
      path,
      // HTTP/2's compat request has no headersDistinct; its `headers` serve the same lookup.
      headers: runtime.matchesHeaders ? (req.headersDistinct ?? req.headers) : NO_HEADERS,
      sni: this.#listener.https ? (req.socket as TLSSocket).servername || undefined : undefined,
      localPort: this.#listener.port,
    });
    if (found === undefined) {
      sendNoRoute(res, flags, startedAt);
      return;
    }
    // WebSocket handshakes never reach here (server.ts sends them to websocket.ts).
    if (isWebSocketOnly(found.route.protocols)) {
      sendWebSocketOnly(res, flags, startedAt);
      return;
    }

    const peer = peerOf(req.socket, this.#trusted);
    const trusted = peer.trusted;
    const forwardedProto = (trusted ? scanned.forwardedProto : undefined) ?? scheme;
    const forwardedHost =
      (trusted ? scanned.forwardedHost : undefined) ?? hostName(scanned.host, req.socket.localAddress ?? '');
    if (found.redirectStatus !== undefined && forwardedProto !== 'https') {
      sendHttpsRedirect(res, found.redirectStatus, forwardedHost, url, flags, startedAt);
      return;
    }
    const dispatch = found.service === undefined ? undefined : runtime.services.get(found.service.id);
    if (dispatch === undefined) {
      sendKongError(res, 503, flags, startedAt, !req.complete, found.service ? undefined : NO_SERVICE_BODY);
      return;
    }

    const client = realClientAddress(peer, scanned.realIp, this.#trusted, settings.realIpRecursive);
    const hostIndex = appendForwardedHeaders(scanned, found, {
      peer,
      client,
      proto: forwardedProto,
      host: forwardedHost,
      port: this.#port,
      path,
      httpVersion: req.httpVersion,
    });
    const routed = new RoutedRequest(this.#context, req, res, startedAt, url, query);
    routed.dispatch = dispatch;
    routed.found = found;
    routed.headers = scanned.forward;
    routed.hostIndex = hostIndex;
    routed.client = client;
    routed.chain = runtime.chains.get(found.route.id);
    routed.lengthKnown = scanned.contentLength >= 0;

    if (!hasBody(req, scanned, http2)) routed.proceed(null);
    else if (found.route.request_buffering === false) {
      // Streamed as it comes; only a body of unknown length still needs counting.
      routed.proceed(streamRequestBody(req, scanned.contentLength < 0 ? limits.maxBodySize : 0));
    } else bufferRequestBody(req, res, this.#bodies, routed);
  }
}

function hasBody(req: IncomingMessage, scanned: ScannedHeaders, http2: boolean): boolean {
  if (scanned.chunked) return true;
  // HTTP/2 frames the body itself: no Content-Length or chunked needed, END_STREAM says none.
  if (http2) return !(req as Http2Request).stream!.endAfterHeaders;
  return scanned.contentLength > 0;
}

/** What every request of one listener shares. */
interface ListenerContext {
  readonly scheme: 'http' | 'https';
  readonly flags: ResponseHeaderFlags;
  readonly log: Logger;
}

/**
 * One routed request on its way to its service: what the plugin chain and the upstream call work
 * from. Filled in as the pipeline learns it (route, service, headers); it waits for a buffered body
 * when there is one (request-body.ts), then runs the chain (when the route has one) and the ForwardCall.
 */
class RoutedRequest implements BodyWaiter {
  readonly context: ListenerContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly startedAt: number;
  readonly url: string;
  /** Where '?' is in `url`; -1 when there is no query. */
  readonly query: number;
  dispatch!: ServiceDispatch;
  found!: Match;
  /** The headers for the service, flat `[name, value, …]` (plugins edit them in place). */
  headers!: string[];
  hostIndex = -1;
  client = '';
  chain: PluginChain | undefined = undefined;
  /** The client sent Content-Length (else a buffered body gets one). */
  lengthKnown = false;

  constructor(
    context: ListenerContext,
    req: IncomingMessage,
    res: ServerResponse,
    startedAt: number,
    url: string,
    query: number,
  ) {
    this.context = context;
    this.req = req;
    this.res = res;
    this.startedAt = startedAt;
    this.url = url;
    this.query = query;
  }

  /** Runs the chain (when the route has one), then the upstream call. Never throws. */
  proceed(body: BufferedBody | null): void {
    try {
      const chain = this.chain;
      if (chain === undefined || chain.empty) {
        forwardCall(this, this.url, this.query, body).start();
        return;
      }
      const url = this.url;
      const query = this.query;
      const run = chain.open({
        req: this.req,
        res: this.res,
        match: this.found,
        scheme: this.context.scheme,
        clientIp: this.client,
        path: query === -1 ? url : url.slice(0, query),
        query: query === -1 ? '' : url.slice(query + 1),
        upstreamHeaders: this.headers,
        body,
      });
      void runChain(run, this, body);
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err: unknown): void {
    failRequest(this.req, this.res, err, this.context.flags, this.startedAt, this.context.log);
  }

  bodyReady(body: BufferedBody, length: number): void {
    const res = this.res;
    // The client left while its body was read (or a parser error was answered): nothing to send.
    if (res.destroyed || res.writableEnded) return;
    if (!this.lengthKnown) this.headers.push('Content-Length', String(length));
    this.proceed(body);
  }

  bodyRefused(status: number, error?: Error): void {
    if (status >= 500) {
      const err = new RequestBodyBufferError('the request body could not be written to its temp file', {
        cause: error,
      });
      this.context.log.error({ err, request_id: failureId(), path: this.req.url }, 'request body refused');
    }
    const res = this.res;
    try {
      if (!res.headersSent && !res.destroyed)
        sendKongError(res, status, this.context.flags, this.startedAt, true);
    } catch (err) {
      this.fail(err);
    }
  }
}

/** The ForwardCall of a request: its upstream target, headers and body, and the balancer's pick. */
function forwardCall(
  routed: RoutedRequest,
  url: string,
  query: number,
  body: Readable | Buffer | null,
  plugins?: PluginRun,
): ForwardCall {
  const { req, dispatch, found, headers } = routed;
  return new ForwardCall(
    req,
    routed.res,
    dispatch,
    {
      path: query === -1 ? found.upstreamPath : found.upstreamPath + url.slice(query),
      method: req.method ?? 'GET',
      headers,
      body,
      // A service on an Upstream: the peer (and Host) is picked per attempt, in ForwardCall.
      balance: dispatch.balancer?.request(
        req,
        routed.client,
        found.path,
        query === -1 ? '' : url.slice(query + 1),
        found.uriCaptures,
        headers,
        plugins === undefined ? routed.hostIndex : hostValueIndex(headers),
        found.route.preserve_host === true,
      ),
      plugins,
    },
    routed.context.flags,
    routed.startedAt,
    routed.context.log,
  );
}

/**
 * The slow path, taken only by routes with plugins: rewrite and access may answer the request
 * themselves; otherwise it is forwarded with what they changed (headers, query, body). The run
 * turns a plugin's throw into a 500 exit; anything else thrown here ends this request only.
 */
async function runChain(run: PluginRun, routed: RoutedRequest, body: BufferedBody | null): Promise<void> {
  try {
    await run.beforeProxy();
    const { req, res, found, headers } = routed;
    if (res.writableEnded || res.destroyed) return;
    const exit = run.exit;
    if (exit !== undefined) {
      sendPluginExit(res, exit, run, routed.context.flags, routed.startedAt, !req.complete);
      return;
    }
    if (hostValueIndex(headers) === -1) headers.push('Host', found.upstreamHost ?? found.service!.host);
    const query = run.upstreamQuery;
    // The same shape forwardCall takes: a target with '?' at `query.length` when there is a query.
    const url = query === '' ? '' : `?${query}`;
    forwardCall(routed, url, query === '' ? -1 : 0, run.upstreamBody ?? body, run).start();
  } catch (err) {
    routed.fail(err);
  }
}
