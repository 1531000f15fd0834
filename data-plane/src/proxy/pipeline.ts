/**
 * The request pipeline, top to bottom: limits → router → https redirect → service → upstream
 * headers → (plugin chain) → forward. Everything derivable from the config was compiled before;
 * per request there is one header scan, one match and one ForwardCall.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { HeaderLookup, Match } from '../router/index.ts';
import { match } from '../router/index.ts';
import type { PluginRun, RuntimeHolder, ServiceDispatch } from '../runtime/index.ts';
import { BodyLimit } from './body-limit.ts';
import { compileTrustedIps, peerOf, realClientAddress } from './client-address.ts';
import { ForwardCall } from './forward.ts';
import { appendForwardedHeaders, hostName, hostValueIndex } from './forwarded-headers.ts';
import {
  sendHttpsRedirect,
  sendKongError,
  sendNoRoute,
  sendPluginExit,
  sendWebSocketOnly,
} from './kong-responses.ts';
import { RequestHeaderScanner, type ScannedHeaders } from './request-headers.ts';
import { requestLineStatus } from './request-line.ts';
import type { ProxySettings, ResponseHeaderFlags } from './settings.ts';
import { isWebSocketOnly } from './websocket-handshake.ts';

const NO_HEADERS: HeaderLookup = Object.freeze({});

/** node's HTTP/2 compat request: the stream says whether a body follows the headers. */
type Http2Request = IncomingMessage & { readonly stream?: { readonly endAfterHeaders: boolean } };

/** What a listener adds to the request: its scheme and port (X-Forwarded-Proto / -Port). */
export interface ListenerInfo {
  readonly https: boolean;
  readonly port: number;
}

export class ProxyPipeline {
  readonly #holder: RuntimeHolder;
  readonly #settings: ProxySettings;
  readonly #listener: ListenerInfo;
  readonly #scheme: 'http' | 'https';
  readonly #port: string;
  readonly #scanner: RequestHeaderScanner;
  readonly #trusted: BlockList | undefined;

  constructor(holder: RuntimeHolder, settings: ProxySettings, listener: ListenerInfo) {
    this.#holder = holder;
    this.#settings = settings;
    this.#listener = listener;
    this.#scheme = listener.https ? 'https' : 'http';
    this.#port = String(listener.port);
    this.#scanner = new RequestHeaderScanner(settings.realIpHeader, settings.limits.maxHeaderSize);
    this.#trusted = compileTrustedIps(settings.trustedIps);
  }

  /** node's 'request' listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
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
      sendKongError(res, 503, flags, startedAt, !req.complete);
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
    });
    const headers = scanned.forward;

    const body = this.#body(req, scanned, http2);
    const chain = runtime.chains.get(found.route.id);
    if (chain === undefined || chain.empty) {
      forwardCall(
        req,
        res,
        dispatch,
        found,
        headers,
        hostIndex,
        url,
        query,
        body,
        client,
        flags,
        startedAt,
      ).start();
      return;
    }
    const run = chain.open({
      req,
      res,
      match: found,
      scheme,
      clientIp: client,
      path,
      query: query === -1 ? '' : url.slice(query + 1),
      upstreamHeaders: headers,
      body,
    });
    void runChain(run, req, res, dispatch, found, headers, body, client, flags, startedAt);
  };

  #body(req: IncomingMessage, scanned: ScannedHeaders, http2: boolean): Readable | null {
    if (scanned.chunked) {
      const limit = this.#settings.limits.maxBodySize;
      return limit > 0 ? req.pipe(new BodyLimit(limit)) : req;
    }
    if (http2) {
      // HTTP/2 frames the body itself: no Content-Length or chunked needed, END_STREAM says none.
      if ((req as Http2Request).stream!.endAfterHeaders) return null;
      const limit = this.#settings.limits.maxBodySize;
      return limit > 0 && scanned.contentLength < 0 ? req.pipe(new BodyLimit(limit)) : req;
    }
    return scanned.contentLength > 0 ? req : null;
  }
}

/** The ForwardCall of a request: its upstream target, headers and body, and the balancer's pick. */
function forwardCall(
  req: IncomingMessage,
  res: ServerResponse,
  dispatch: ServiceDispatch,
  found: Match,
  headers: string[],
  hostIndex: number,
  url: string,
  query: number,
  body: Readable | Buffer | null,
  client: string,
  flags: ResponseHeaderFlags,
  startedAt: number,
  plugins?: PluginRun,
): ForwardCall {
  return new ForwardCall(
    req,
    res,
    dispatch,
    {
      path: query === -1 ? found.upstreamPath : found.upstreamPath + url.slice(query),
      method: req.method ?? 'GET',
      headers,
      body,
      // A service on an Upstream: the peer (and Host) is picked per attempt, in ForwardCall.
      balance: dispatch.balancer?.request(
        req,
        client,
        found.path,
        query === -1 ? '' : url.slice(query + 1),
        found.uriCaptures,
        headers,
        hostIndex,
        found.route.preserve_host === true,
      ),
      plugins,
    },
    flags,
    startedAt,
  );
}

/** Where the Host header is after plugins edited the list (name at i, value at i + 1): i + 1. */

/**
 * The slow path, taken only by routes with plugins: rewrite and access may answer the request
 * themselves; otherwise it is forwarded with what they changed (headers, query, body).
 */
async function runChain(
  run: PluginRun,
  req: IncomingMessage,
  res: ServerResponse,
  dispatch: ServiceDispatch,
  found: Match,
  headers: string[],
  body: Readable | null,
  client: string,
  flags: ResponseHeaderFlags,
  startedAt: number,
): Promise<void> {
  // The run never throws: a plugin that fails becomes a 500 exit.
  await run.beforeProxy();
  if (res.writableEnded || res.destroyed) return;
  const exit = run.exit;
  if (exit !== undefined) {
    sendPluginExit(res, exit, run, flags, startedAt, !req.complete);
    return;
  }
  if (hostValueIndex(headers) === -1) headers.push('Host', found.upstreamHost ?? found.service!.host);
  const query = run.upstreamQuery;
  // The same shape forwardCall takes: a target with '?' at `query.length` when there is a query.
  const url = query === '' ? '' : `?${query}`;
  forwardCall(
    req,
    res,
    dispatch,
    found,
    headers,
    hostValueIndex(headers),
    url,
    query === '' ? -1 : 0,
    run.upstreamBody ?? body,
    client,
    flags,
    startedAt,
    run,
  ).start();
}
