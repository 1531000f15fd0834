/**
 * The one way a request becomes a routed request, for plain HTTP (and HTTP/2) and WebSocket
 * handshakes alike: limits → router → protocol checks → service → forwarded headers. Everything
 * derivable from the config was compiled before; per request there is one header scan, one match
 * and, when it is routed, one Prepared. What differs by protocol is said where it happens.
 */

import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@turnpike/shared';
import type { HeaderLookup } from '../router/index.ts';
import { match } from '../router/index.ts';
import type { Runtime } from '../runtime/index.ts';
import { compileTrustedIps, peerOf, realClientAddress } from './client-address.ts';
import { appendForwardedHeaders, hostName } from './forwarded-headers.ts';
import { GRPC_CONTENT_TYPE, isGrpcRequest } from './grpc-responses.ts';
import { Prepared } from './prepared.ts';
import {
  GRPCS_ONLY,
  HTTP2_ONLY,
  HTTPS_ONLY,
  limitRefusal,
  NO_ROUTE,
  NO_SERVICE,
  NOT_GRPC,
  Refusal,
  SERVICELESS,
  WEBSOCKET_ONLY,
} from './refusal.ts';
import { RequestHeaderScanner, type ScannedHeaders } from './request-headers.ts';
import { requestLineStatus } from './request-line.ts';
import type { ProxySettings, ResponseHeaderFlags } from './settings.ts';
import { handshakeStatus, isWebSocketOnly, upgradeAcceptance } from './websocket-handshake.ts';

const NO_HEADERS: HeaderLookup = Object.freeze({});

/** What a listener adds to the request: its scheme and port (X-Forwarded-Proto / -Port). */
export interface ListenerInfo {
  readonly https: boolean;
  readonly port: number;
}

/** What every request of one listener and one protocol shares, compiled once per listener. */
export interface ListenerContext {
  readonly https: boolean;
  readonly scheme: 'http' | 'https';
  /** The listener's port, as X-Forwarded-Port sends it. */
  readonly port: string;
  /** The same as a number: what a route host's `:port` is compared with when Host has none. */
  readonly localPort: number;
  /** True for the 'upgrade' side (WebSocket handshakes), false for plain requests. */
  readonly upgrade: boolean;
  readonly settings: ProxySettings;
  readonly flags: ResponseHeaderFlags;
  readonly scanner: RequestHeaderScanner;
  readonly trusted: BlockList | undefined;
  readonly log: Logger;
}

export function listenerContext(
  settings: ProxySettings,
  listener: ListenerInfo,
  log: Logger,
  upgrade: boolean,
): ListenerContext {
  return {
    https: listener.https,
    scheme: listener.https ? 'https' : 'http',
    port: String(listener.port),
    localPort: listener.port,
    upgrade,
    settings,
    flags: settings.headers,
    scanner: new RequestHeaderScanner(
      settings.realIpHeader,
      settings.limits.maxHeaderSize,
      settings.headers.upstreamRequestId,
    ),
    trusted: compileTrustedIps(settings.trustedIps),
    log,
  };
}

/** node's HTTP/2 compat request: the stream says whether a body follows the headers. */
type Http2Request = IncomingMessage & { readonly stream?: { readonly endAfterHeaders: boolean } };

/**
 * The routed request, or why it is refused. `runtime` is the one the request keeps to its end
 * (read once by the caller: a swap meanwhile does not change what it sees).
 */
export function prepareRequest(
  req: IncomingMessage,
  listener: ListenerContext,
  runtime: Runtime,
  startedAt: number,
  requestId: string,
): Prepared | Refusal {
  const limits = listener.settings.limits;
  const upgrade = listener.upgrade;
  const url = req.url ?? '';
  const raw = req.rawHeaders;
  const major = req.httpVersionMajor;
  // A request line may say HTTP/2.0 on an HTTP/1 connection: only node's compat request has a
  // stream. Upgrades come over HTTP/1 only.
  const http2 = !upgrade && major === 2 && (req as Http2Request).stream !== undefined;
  const refused = requestLineStatus(url, raw, limits, major, http2);
  if (refused !== 0) return limitRefusal(refused);
  const scanned = listener.scanner.scan(raw);
  if (scanned.status !== 0) return limitRefusal(scanned.status);
  if (upgrade) {
    const bad = handshakeStatus(req, scanned.contentLength, scanned.chunked);
    if (bad !== 0) return limitRefusal(bad);
  }
  if (limits.maxBodySize > 0 && scanned.contentLength > limits.maxBodySize) return limitRefusal(413);

  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const scheme = listener.scheme;
  const found = match(runtime.router, {
    method: req.method ?? 'GET',
    scheme,
    host: scanned.host,
    path,
    // HTTP/2's compat request has no headersDistinct; its `headers` serve the same lookup.
    headers: runtime.matchesHeaders ? (req.headersDistinct ?? req.headers) : NO_HEADERS,
    sni: listener.https ? (req.socket as TLSSocket).servername || undefined : undefined,
    localPort: listener.localPort,
  });
  if (found === undefined) return NO_ROUTE;

  const peer = peerOf(req.socket, listener.trusted);
  const trusted = peer.trusted;
  const forwardedProto = (trusted ? scanned.forwardedProto : undefined) ?? scheme;
  const forwardedHost =
    (trusted ? scanned.forwardedHost : undefined) ?? hostName(scanned.host, req.socket.localAddress ?? '');
  if (upgrade) {
    // Kong proxies any Upgrade: websocket its http/https routes take; https-only ones want TLS.
    const acceptance = upgradeAcceptance(found.route.protocols, forwardedProto === 'https');
    if (acceptance === 'https') return HTTPS_ONLY;
    if (acceptance === 'no') return NO_ROUTE;
  } else {
    if (isWebSocketOnly(found.route.protocols)) return WEBSOCKET_ONLY;
    const redirect = found.redirectStatus;
    if (redirect !== undefined && forwardedProto !== 'https') {
      return redirect === 426
        ? HTTPS_ONLY
        : new Refusal('redirect', redirect, `https://${forwardedHost}${url}`);
    }
    // Kong's gRPC checks, in its order: a gRPC Content-Type, then HTTP/2, then grpcs over TLS.
    const grpc = found.grpc;
    if (grpc !== 'none') {
      const type = req.headers['content-type'];
      if (type === undefined || !type.startsWith(GRPC_CONTENT_TYPE)) return NOT_GRPC;
      if (!http2) return HTTP2_ONLY;
      if (grpc === 'grpcs' && forwardedProto !== 'https') return GRPCS_ONLY;
    }
  }
  // Kong's own 503 for a route without a service; nginx's for a service that cannot be served.
  if (found.service === undefined) return SERVICELESS;
  const dispatch = runtime.services.get(found.service.id);
  if (dispatch === undefined) return NO_SERVICE;

  const client = realClientAddress(peer, scanned.realIp, listener.trusted, listener.settings.realIpRecursive);
  const prepared = new Prepared(req, startedAt, requestId, scheme, url, queryAt, path);
  prepared.found = found;
  prepared.dispatch = dispatch;
  prepared.chain = runtime.chains.get(found.route.id);
  prepared.pluginDb = runtime.plugins.db;
  prepared.hostIndex = appendForwardedHeaders(scanned, found, {
    peer,
    client,
    proto: forwardedProto,
    host: forwardedHost,
    port: listener.port,
    path,
    httpVersion: req.httpVersion,
  });
  // headers_upstream: Kong's id replaces the client's (the scan dropped it).
  if (listener.flags.upstreamRequestId) scanned.forward.push('X-Kong-Request-Id', requestId);
  prepared.upstreamHeaders = scanned.forward;
  prepared.clientIp = client;
  prepared.forwardedScheme = forwardedProto;
  prepared.contentLength = scanned.contentLength;
  prepared.hasBody = hasBody(req, scanned, http2);
  prepared.grpc = http2 && isGrpcRequest(req);
  return prepared;
}

function hasBody(req: IncomingMessage, scanned: ScannedHeaders, http2: boolean): boolean {
  if (scanned.chunked) return true;
  // HTTP/2 frames the body itself: no Content-Length or chunked needed, END_STREAM says none.
  if (http2) return !(req as Http2Request).stream!.endAfterHeaders;
  return scanned.contentLength > 0;
}
