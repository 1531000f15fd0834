/**
 * A request prepareRequest refused (a limit, no route, the wrong protocol, no service), and how
 * each protocol answers it: a plain request with a ServerResponse (`sendRefusal`), a WebSocket
 * handshake with raw bytes before closing its socket (`rawRefusal`). Refusals without data of
 * their own are made once; only a redirect carries its Location.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  GRPC_STATUS_CANCELLED,
  grpcMessageOf,
  grpcStatusOf,
  isGrpcRequest,
  sendGrpcStatus,
} from './grpc-responses.ts';
import {
  NO_ROUTE_MESSAGE,
  NO_SERVICE_BODY,
  NO_SERVICE_MESSAGE,
  rawKongError,
  rawNoRoute,
  sendGrpcProtocolError,
  sendHttpsRedirect,
  sendKongError,
  sendNoRoute,
  sendWebSocketOnly,
} from './kong-responses.ts';
import type { ResponseHeaderFlags } from './settings.ts';

/**
 * - `limit`: the request line, headers, body size or handshake broke a rule: Kong's error for
 *   `status`, and the connection is closed (the request was not read);
 * - `no-route`: Kong's 404 `no Route matched with those values`;
 * - `websocket-only`: a plain request to a route taking only ws / wss: 426;
 * - `https-only`: a request over http to a route taking only https: Kong's 426;
 * - `redirect`: the same with https_redirect_status_code 301/302/307/308: a redirect to `location`;
 * - `no-service`: the route's service cannot be served: 503;
 * - `serviceless`: the route has no service: Kong's 503 `no Service found with those values`;
 * - `http2-only`: a gRPC request over HTTP/1 to a gRPC route: Kong's 426 `Please use HTTP2 protocol`;
 * - `not-grpc`: a request without a gRPC Content-Type to a gRPC route: Kong's 415;
 * - `grpcs-only`: a plaintext gRPC request to a route taking only grpcs: gRPC status 1 (Cancelled),
 *   `gRPC request matched gRPCs route`.
 *
 * A gRPC request (grpc-responses.ts `isGrpcRequest`) gets each of them as a gRPC status instead.
 */
export type RefusalKind =
  | 'limit'
  | 'no-route'
  | 'websocket-only'
  | 'https-only'
  | 'redirect'
  | 'no-service'
  | 'serviceless'
  | 'http2-only'
  | 'not-grpc'
  | 'grpcs-only';

export class Refusal {
  readonly kind: RefusalKind;
  readonly status: number;
  /** `https://…` for a redirect. */
  readonly location: string;

  constructor(kind: RefusalKind, status: number, location = '') {
    this.kind = kind;
    this.status = status;
    this.location = location;
  }
}

export const NO_ROUTE = new Refusal('no-route', 404);
export const WEBSOCKET_ONLY = new Refusal('websocket-only', 426);
export const HTTPS_ONLY = new Refusal('https-only', 426);
export const NO_SERVICE = new Refusal('no-service', 503);
export const SERVICELESS = new Refusal('serviceless', 503);
export const HTTP2_ONLY = new Refusal('http2-only', 426);
export const NOT_GRPC = new Refusal('not-grpc', 415);
export const GRPCS_ONLY = new Refusal('grpcs-only', 200);

const GRPCS_ONLY_MESSAGE = 'gRPC request matched gRPCs route';

const LIMITS = new Map<number, Refusal>();

/** The refusal of a request that broke a limit (400, 405, 413, 414, 431, 505…): made once per status. */
export function limitRefusal(status: number): Refusal {
  let refusal = LIMITS.get(status);
  if (refusal === undefined) {
    refusal = new Refusal('limit', status);
    LIMITS.set(status, refusal);
  }
  return refusal;
}

/** Answers a refused plain (or HTTP/2) request. */
export function sendRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  refusal: Refusal,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  if (isGrpcRequest(req)) {
    sendGrpcRefusal(res, refusal, flags, startedAt, requestId);
    return;
  }
  switch (refusal.kind) {
    case 'no-route':
      sendNoRoute(res, flags, startedAt, requestId);
      return;
    case 'websocket-only':
      sendWebSocketOnly(res, flags, startedAt, requestId);
      return;
    case 'https-only':
    case 'redirect':
      sendHttpsRedirect(res, refusal.status, refusal.location, flags, startedAt, requestId);
      return;
    case 'http2-only':
    case 'not-grpc':
      sendGrpcProtocolError(res, refusal.status as 415 | 426, flags, startedAt, requestId);
      return;
    case 'no-service':
    case 'serviceless':
      // An unread request body would be taken for the next request: close instead.
      sendKongError(res, refusal.status, flags, startedAt, requestId, !req.complete, bodyOf(refusal));
      return;
    default:
      sendKongError(res, refusal.status, flags, startedAt, requestId, true);
  }
}

/** A refused gRPC request's answer: Kong's gRPC status and message for the refusal, HTTP 200 (grpc-responses.ts). */
function sendGrpcRefusal(
  res: ServerResponse,
  refusal: Refusal,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  if (refusal.kind === 'grpcs-only') {
    sendGrpcStatus(res, GRPC_STATUS_CANCELLED, GRPCS_ONLY_MESSAGE, flags, startedAt, requestId);
    return;
  }
  const message =
    refusal.kind === 'no-route'
      ? NO_ROUTE_MESSAGE
      : refusal.kind === 'serviceless'
        ? NO_SERVICE_MESSAGE
        : grpcMessageOf(refusal.status);
  sendGrpcStatus(res, grpcStatusOf(refusal.status), message, flags, startedAt, requestId);
}

/** A refused WebSocket handshake's answer, written raw before the socket is closed. */
export function rawRefusal(refusal: Refusal, flags: ResponseHeaderFlags, requestId: string): string {
  return refusal.kind === 'no-route'
    ? rawNoRoute(flags, requestId)
    : rawKongError(refusal.status, flags, requestId, bodyOf(refusal));
}

/** Kong's own body for a refusal the runloop makes (rather than nginx): a route without a service. */
function bodyOf(refusal: Refusal): Buffer | undefined {
  return refusal.kind === 'serviceless' ? NO_SERVICE_BODY : undefined;
}
