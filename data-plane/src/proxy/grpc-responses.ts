/**
 * What the proxy answers a gRPC request (HTTP/2, `Content-Type: application/grpc…`) when it
 * answers it itself: a refusal, a plugin's exit, an upstream it could not reach. Kong turns these
 * into gRPC statuses (kong/pdk/response.lua `send`: HTTP_TO_GRPC_STATUS, and the message in
 * `grpc-message`, with no body). The words and codes are Kong's.
 *
 * One difference, on purpose: Kong keeps the HTTP status (401, 503…) beside `grpc-status`. The
 * gRPC protocol (PROTOCOL-HTTP2.md) has a gRPC server answer HTTP 200, and clients such as grpc-go
 * map a non-200 HTTP status themselves, ignoring `grpc-status` (a 504 becomes UNAVAILABLE, not
 * DEADLINE_EXCEEDED). So the answer here is HTTP 200 with `grpc-status` and `grpc-message` in
 * the trailers (node's compat response cannot end a stream on its HEADERS frame, which a
 * trailers-only answer would need; headers then trailers is equally valid gRPC). Every gRPC client
 * then sees exactly Kong's gRPC status.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { KONG_STATUS_MESSAGES } from '@turnpike/shared';
import type { ChainExit, PluginRun } from '../runtime/index.ts';
import { pluginExitHeaders, removeHeader, withServerHeaders } from './kong-responses.ts';
import type { ResponseHeaderFlags } from './settings.ts';

export const GRPC_CONTENT_TYPE = 'application/grpc';

/** kong/pdk/response.lua HTTP_TO_GRPC_STATUS. */
const HTTP_TO_GRPC_STATUS: ReadonlyMap<number, number> = new Map([
  [200, 0],
  [400, 3],
  [401, 16],
  [403, 7],
  [404, 5],
  [409, 6],
  [429, 8],
  [499, 1],
  [500, 13],
  [501, 12],
  [503, 14],
  [504, 4],
]);

export const GRPC_STATUS_UNKNOWN = 2;
export const GRPC_STATUS_CANCELLED = 1;
export const GRPC_STATUS_DEADLINE_EXCEEDED = 4;

/** The gRPC status Kong gives an HTTP status (by class when it has no entry of its own). */
export function grpcStatusOf(httpStatus: number): number {
  const direct = HTTP_TO_GRPC_STATUS.get(httpStatus);
  if (direct !== undefined) return direct;
  if (httpStatus >= 500 && httpStatus <= 599) return 13;
  if (httpStatus >= 400 && httpStatus <= 499) return 3;
  if (httpStatus >= 200 && httpStatus <= 299) return 0;
  return GRPC_STATUS_UNKNOWN;
}

/** A gRPC request, as Kong's `is_grpc_request`: HTTP/2 with a Content-Type starting application/grpc. */
export function isGrpcRequest(req: IncomingMessage): boolean {
  if (req.httpVersionMajor !== 2) return false;
  const type = req.headers['content-type'];
  return type?.startsWith(GRPC_CONTENT_TYPE) === true;
}

/**
 * `grpc-message` is percent-encoded (PROTOCOL-HTTP2.md): every byte outside printable ASCII, and '%'.
 */
export function encodeGrpcMessage(message: string): string {
  if (!/[^\x20-\x24\x26-\x7e]/.test(message)) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The message Kong puts in `grpc-message` for an error of this HTTP status without a body of its own. */
export function grpcMessageOf(httpStatus: number): string {
  return KONG_STATUS_MESSAGES[httpStatus] ?? `The upstream server responded with ${httpStatus}`;
}

/** Ends a gRPC answer without messages: HTTP 200, `headers`, then the status in the trailers. */
function endWithStatus(
  res: ServerResponse,
  headers: string[],
  grpcStatus: string,
  grpcMessage: string,
): void {
  res.writeHead(200, headers);
  res.addTrailers({ 'grpc-status': grpcStatus, 'grpc-message': grpcMessage });
  res.end();
}

/** The gRPC status fields a response's head carries (an upstream's trailers-only answer). */
const STATUS_FIELDS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'] as const;

/**
 * Moves `grpc-status`, `grpc-message` and `grpc-status-details-bin` from a response head to its
 * trailers (an upstream's trailers-only answer, forwarded as headers then trailers).
 */
export function statusToTrailers(res: ServerResponse, headers: string[]): void {
  let trailers: Record<string, string> | undefined;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const name = headers[i]!.toLowerCase();
    if ((STATUS_FIELDS as readonly string[]).includes(name)) {
      trailers ??= {};
      trailers[name] = headers[i + 1]!;
      headers.splice(i, 2);
    }
  }
  if (trailers !== undefined) res.addTrailers(trailers);
}

/** Sends a gRPC status of Turnpike's own: HTTP 200, Turnpike's headers, `grpc-status` and `grpc-message`. */
export function sendGrpcStatus(
  res: ServerResponse,
  grpcStatus: number,
  message: string,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  const headers = withServerHeaders(['Content-Type', GRPC_CONTENT_TYPE], flags, startedAt, requestId);
  endWithStatus(res, headers, String(grpcStatus), encodeGrpcMessage(message));
}

/** The message of a Kong-shaped body (`{"message": …}`), else the body as text, else the status's words. */
function exitMessage(exit: ChainExit): string {
  const body = exit.body;
  if (body === undefined || body.length === 0) return grpcMessageOf(exit.status);
  const text = body.toString('utf8');
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON: the text itself
    }
  }
  return text;
}

function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === name) return headers[i + 1];
  }
  return undefined;
}

/**
 * A plugin's exit on a gRPC request (key-auth's 401, rate-limiting's 429…), as Kong sends it: the
 * plugin's headers kept (WWW-Authenticate, X-RateLimit-*), its status as `grpc-status` unless it
 * set one itself, its message as `grpc-message`, no body. A plugin that answered with
 * `Content-Type: application/grpc` answers in gRPC itself: its exit goes out as it made it.
 */
export function sendGrpcPluginExit(
  res: ServerResponse,
  exit: ChainExit,
  run: PluginRun,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  const headers = pluginExitHeaders(exit, run, flags, startedAt, requestId);
  if (headers === undefined) {
    sendGrpcStatus(res, 13, grpcMessageOf(500), flags, startedAt, requestId);
    return;
  }
  const type = headerValue(headers, 'content-type');
  if (type?.startsWith(GRPC_CONTENT_TYPE) === true) {
    res.writeHead(exit.status, headers);
    res.end(exit.body);
    return;
  }
  const status = headerValue(headers, 'grpc-status') ?? String(grpcStatusOf(exit.status));
  const message = headerValue(headers, 'grpc-message') ?? encodeGrpcMessage(exitMessage(exit));
  for (const name of ['content-type', 'content-length', 'grpc-status', 'grpc-message'])
    removeHeader(headers, name);
  headers.push('Content-Type', GRPC_CONTENT_TYPE);
  endWithStatus(res, headers, status, message);
}
