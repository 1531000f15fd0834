/**
 * Responses the proxy makes itself, with Kong's exact bodies (kong/error_handlers.lua BODIES and
 * kong/runloop/handler.lua) and Kong's ERROR_TEMPLATES, each carrying the request's id. Bodies are
 * made once, at import, around the place of the id: a request adds only its id.
 */

import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { KONG_STATUS_MESSAGES, TURNPIKE_VERSION } from '@turnpike/shared';
import type { ChainExit, PluginRun } from '../runtime/index.ts';
import { bodySent } from './request-entry.ts';
import { REQUEST_ID_LENGTH } from './request-id.ts';
import type { ErrorFormat, ResponseHeaderFlags } from './settings.ts';

export const SERVER_TOKEN = `turnpike/${TURNPIKE_VERSION}`;
export const VIA_TOKEN = `1.1 ${SERVER_TOKEN}`;

export const NO_ROUTE_MESSAGE = 'no Route matched with those values';
/** Kong's 503 for a route without a service (kong/init.lua, access phase). */
export const NO_SERVICE_MESSAGE = 'no Service found with those values';
/** The body to give sendKongError / rawKongError for a matched route without a service. */
export const NO_SERVICE_BODY = Buffer.from(JSON.stringify({ message: NO_SERVICE_MESSAGE }));
/** Turnpike's words for a plain request to a route whose protocols are only ws / wss. */
export const WEBSOCKET_ONLY_MESSAGE = 'Please use WebSocket protocol';
/** Kong's 426 for a gRPC request over HTTP/1 (kong/runloop/handler.lua, access). */
export const HTTP2_ONLY_MESSAGE = 'Please use HTTP2 protocol';
/** Kong's 415 for a request without a gRPC Content-Type on a gRPC route. */
export const NOT_GRPC_MESSAGE = 'Non-gRPC request matched gRPC route';
const JSON_TYPE = 'application/json; charset=utf-8';

/** kong/tools/http.lua MIME_TYPES: the Content-Type of each error format. */
const CONTENT_TYPES: Readonly<Record<ErrorFormat, string>> = {
  json: JSON_TYPE,
  xml: 'application/xml; charset=utf-8',
  html: 'text/html; charset=utf-8',
  plain: 'text/plain; charset=utf-8',
};

/**
 * One error body with its request id still to insert: what comes before the id and after it,
 * and the body's length in bytes once the id is in (ids are ASCII, REQUEST_ID_LENGTH long).
 */
interface Template {
  readonly head: string;
  readonly tail: string;
  readonly length: number;
}

/** One message in every format, made once (Kong's words per status: shared/src/kong-messages.ts). */
type Bodies = Readonly<Record<ErrorFormat, Template>>;

function template(head: string, tail: string): Template {
  return { head, tail, length: Buffer.byteLength(head) + REQUEST_ID_LENGTH + Buffer.byteLength(tail) };
}

/** A template's body for one request. */
function render(body: Template, requestId: string): string {
  return body.head + requestId + body.tail;
}

/** Kong's ERROR_TEMPLATES (kong/tools/http.lua), as Kong fills them: the message, then the request id. */
function bodiesOf(message: string): Bodies {
  return {
    json: template(`{\n  "message":${JSON.stringify(message).slice(0, -1)}",\n  "request_id":"`, '"\n}'),
    plain: template(`${message}\nrequest_id: `, '\n'),
    html: template(
      `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${message}.</p>\n    <p>request_id: `,
      '</p>\n  </body>\n</html>\n',
    ),
    xml: template(
      `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${message}</message>\n  <requestid>`,
      '</requestid>\n</error>\n',
    ),
  };
}

const BODIES = new Map<number, Bodies>(
  Object.entries(KONG_STATUS_MESSAGES).map(([status, message]) => [Number(status), bodiesOf(message)]),
);
const NO_ROUTE_BODIES = bodiesOf(NO_ROUTE_MESSAGE);
const WEBSOCKET_ONLY_BODIES = bodiesOf(WEBSOCKET_ONLY_MESSAGE);
const HTTP2_ONLY_BODIES = bodiesOf(HTTP2_ONLY_MESSAGE);
const NOT_GRPC_BODIES = bodiesOf(NOT_GRPC_MESSAGE);
/** A caller's own `{"message":…}` body (the balancer's NO_PEER_BODY) in every format, made once per Buffer. */
const CUSTOM_BODIES = new WeakMap<Buffer, Bodies>();

function customBodies(body: Buffer): Bodies {
  let bodies = CUSTOM_BODIES.get(body);
  if (bodies === undefined) {
    bodies = bodiesOf(String((JSON.parse(body.toString()) as { message: unknown }).message));
    CUSTOM_BODIES.set(body, bodies);
  }
  return bodies;
}

function statusBodies(status: number): Bodies {
  let bodies = BODIES.get(status);
  if (bodies === undefined) {
    bodies = bodiesOf(`The upstream server responded with ${status}`);
    BODIES.set(status, bodies);
  }
  return bodies;
}

/** A media type's error format (kong/tools/http.lua get_mime_type): anything unknown is JSON. */
function formatOfMediaType(media: string): ErrorFormat {
  const [type = '', subtype] = (media.split(';', 1)[0] ?? '').trim().toLowerCase().split('/', 2);
  if (subtype === '*') return type === 'text' ? 'plain' : 'json';
  const full = `${type}/${subtype}`;
  return full === 'text/html'
    ? 'html'
    : full === 'application/xml'
      ? 'xml'
      : full === 'text/plain'
        ? 'plain'
        : 'json';
}

const ACCEPT_ENTRY =
  /^((?:[a-z0-9][a-z0-9!#$&^_+.-]+|\*)\/(?:[a-z0-9][a-z0-9!#$&^_+.-]+|\*))(?:\s*;\s*(?:q=(1(?:\.0{0,3})?|0(?:\.\d{0,3})?)|[a-z0-9][a-z0-9!#$&^_+.-]+(?:=[^;]*)?))*/i;

/**
 * kong/tools/http.lua get_response_type: the format of the Accept entry with the highest q (the
 * first of equals); JSON when no entry is a media range.
 */
export function errorFormatOf(accept: string | undefined): ErrorFormat {
  if (accept === undefined) return 'json';
  let format: ErrorFormat = 'json';
  let best = 0;
  for (const entry of accept.split(',')) {
    const match = ACCEPT_ENTRY.exec(entry.trim());
    if (match === null) continue;
    const q = match[2] === undefined ? 1 : Number(match[2]);
    if (q > best) {
      best = q;
      format = formatOfMediaType(match[1] as string);
    }
  }
  return format;
}

/**
 * The format of an error nginx itself makes in Kong (kong/error_handlers.lua: 400, 413, 502,
 * 504…): Accept, else the request's Content-Type, else error_default_type.
 */
function nginxErrorFormat(res: ServerResponse, flags: ResponseHeaderFlags): ErrorFormat {
  const headers = res.req?.headers;
  const accept = headers?.accept ?? headers?.['content-type'];
  return accept === undefined ? flags.errorDefaultType : errorFormatOf(accept);
}

/** The format of an error Kong makes with kong.response.error (no route, 426, no peer): Accept, else JSON. */
function runloopErrorFormat(res: ServerResponse): ErrorFormat {
  return errorFormatOf(res.req?.headers.accept);
}

/**
 * HTTP/2 forbids connection-specific headers (RFC 9113 8.2.2): node would drop them with a warning.
 * Told by the compat response's stream, not the request's version: a text request line may claim
 * HTTP/2.0 on an HTTP/1 connection (it is answered 505 and closed).
 */
function isHttp2(res: ServerResponse): boolean {
  return (res as { stream?: unknown }).stream !== undefined;
}

function latency(startedAt: number): string {
  return String(Math.round(performance.now() - startedAt));
}

/** Headers every response Turnpike makes itself carries; `format` undefined for one without a body. */
function ownHeaders(
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
  length: number,
  format: ErrorFormat | undefined,
): string[] {
  const headers =
    format === undefined
      ? ['Content-Length', '0']
      : ['Content-Type', CONTENT_TYPES[format], 'Content-Length', String(length)];
  return withServerHeaders(headers, flags, startedAt, requestId);
}

/**
 * Adds X-Kong-Response-Latency, Server and X-Kong-Request-Id (when `headers` says so) to a
 * response Turnpike makes.
 */
export function withServerHeaders(
  headers: string[],
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): string[] {
  if (flags.responseLatency) headers.push('X-Kong-Response-Latency', latency(startedAt));
  if (flags.server) headers.push('Server', SERVER_TOKEN);
  if (flags.requestId) headers.push('X-Kong-Request-Id', requestId);
  return headers;
}

/**
 * Kong's answer for a status, in the format the request asks for, with its request id; `close`
 * ends the connection after it (the request was not read). Without `body` it is one of nginx's
 * errors in Kong (error_default_type applies); with one (the balancer's `{"message":…}`), Kong's
 * runloop's.
 */
export function sendKongError(
  res: ServerResponse,
  status: number,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
  close = false,
  body?: Buffer,
): void {
  const format = body === undefined ? nginxErrorFormat(res, flags) : runloopErrorFormat(res);
  const encoded = (body === undefined ? statusBodies(status) : customBodies(body))[format];
  sendFormatted(res, status, flags, startedAt, requestId, format, encoded, close);
}

function sendFormatted(
  res: ServerResponse,
  status: number,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
  format: ErrorFormat,
  body: Template,
  close: boolean,
): void {
  const headers = ownHeaders(flags, startedAt, requestId, body.length, format);
  if (close && !isHttp2(res)) headers.push('Connection', 'close');
  res.writeHead(status, headers);
  bodySent(res, body.length);
  res.end(render(body, requestId));
}

/**
 * The headers of a plugin's exit (`ctx.response.exit`, or the 500 of one that threw): the plugins'
 * header phase sees it first, then Turnpike's own headers are added (X-Kong-Request-Id last, over
 * any a plugin set, as Kong's runloop does). The plugins' values were checked when they were set
 * (plugin-chain/plugin-values.ts). Undefined when a header phase threw: Kong's 500 goes out instead.
 */
export function pluginExitHeaders(
  exit: ChainExit,
  run: PluginRun,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): string[] | undefined {
  const headers = [...exit.headers];
  run.header(exit.status, headers);
  if (run.failed) return undefined;
  if (flags.requestId) removeHeader(headers, 'x-kong-request-id');
  headers.push('Content-Length', String(exit.body?.length ?? 0));
  return withServerHeaders(headers, flags, startedAt, requestId);
}

/** Removes every `name` (lowercase) from a flat [name, value, …] list. */
export function removeHeader(headers: string[], name: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const key = headers[i]!;
    if (key.length === name.length && key.toLowerCase() === name) headers.splice(i, 2);
  }
}

/** Sends a plugin's exit (see pluginExitHeaders); `close` ends the connection after it. */
export function sendPluginExit(
  res: ServerResponse,
  exit: ChainExit,
  run: PluginRun,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
  close: boolean,
): void {
  const headers = pluginExitHeaders(exit, run, flags, startedAt, requestId);
  if (headers === undefined) {
    sendKongError(res, 500, flags, startedAt, requestId, close);
    return;
  }
  if (close && !isHttp2(res)) headers.push('Connection', 'close');
  res.writeHead(exit.status, headers);
  bodySent(res, exit.body?.length ?? 0);
  res.end(exit.body);
}

export function sendNoRoute(
  res: ServerResponse,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  const format = runloopErrorFormat(res);
  sendFormatted(res, 404, flags, startedAt, requestId, format, NO_ROUTE_BODIES[format], false);
}

/** Kong's answer to http on an https-only route: 426 with Upgrade, or a redirect to `location` (https). */
export function sendHttpsRedirect(
  res: ServerResponse,
  status: number,
  location: string,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  if (status === 426) {
    const format = runloopErrorFormat(res);
    const body = statusBodies(426)[format];
    const headers = ownHeaders(flags, startedAt, requestId, body.length, format);
    if (!isHttp2(res)) headers.push('Connection', 'Upgrade', 'Upgrade', 'TLS/1.2, HTTP/1.1');
    res.writeHead(426, headers);
    bodySent(res, body.length);
    res.end(render(body, requestId));
    return;
  }
  const headers = ownHeaders(flags, startedAt, requestId, 0, undefined);
  headers.push('Location', location);
  res.writeHead(status, headers);
  res.end();
}

/** 426 for a plain HTTP request to a route that only takes WebSocket (ws / wss). */
export function sendWebSocketOnly(
  res: ServerResponse,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  const format = runloopErrorFormat(res);
  const body = WEBSOCKET_ONLY_BODIES[format];
  const headers = ownHeaders(flags, startedAt, requestId, body.length, format);
  if (!isHttp2(res)) headers.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
  res.writeHead(426, headers);
  bodySent(res, body.length);
  res.end(render(body, requestId));
}

/**
 * Kong's answers to the wrong protocol on a gRPC route: 426 (with `Upgrade: HTTP/2`) for a gRPC
 * request over HTTP/1, 415 for a request that is not gRPC.
 */
export function sendGrpcProtocolError(
  res: ServerResponse,
  status: 415 | 426,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): void {
  const format = runloopErrorFormat(res);
  const body = (status === 426 ? HTTP2_ONLY_BODIES : NOT_GRPC_BODIES)[format];
  const headers = ownHeaders(flags, startedAt, requestId, body.length, format);
  if (status === 426) headers.push('Connection', 'Upgrade', 'Upgrade', 'HTTP/2');
  res.writeHead(status, headers);
  res.end(render(body, requestId));
}

/**
 * A whole response written straight to a socket, for requests node's parser refused, CONNECT
 * and WebSocket handshakes: there is no ServerResponse then, nor headers read, so nginx's errors
 * take error_default_type and a `body` given (`{"message":…}`, Kong's runloop's) is JSON.
 * The connection is always closed after it.
 */
export function rawKongError(
  status: number,
  flags: ResponseHeaderFlags,
  requestId: string,
  body?: Buffer,
): string {
  return rawFormatted(
    status,
    flags,
    requestId,
    body === undefined ? flags.errorDefaultType : 'json',
    body === undefined ? statusBodies(status) : customBodies(body),
  );
}

function rawFormatted(
  status: number,
  flags: ResponseHeaderFlags,
  requestId: string,
  format: ErrorFormat,
  bodies: Bodies,
): string {
  const body = bodies[format];
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: ${CONTENT_TYPES[format]}\r\nContent-Length: ${body.length}\r\n`;
  if (flags.server) head += `Server: ${SERVER_TOKEN}\r\n`;
  if (flags.requestId) head += `X-Kong-Request-Id: ${requestId}\r\n`;
  return `${head}Connection: close\r\n\r\n${render(body, requestId)}`;
}

/** rawKongError's 404 with Kong's no-route body, for upgrade requests no route takes. */
export function rawNoRoute(flags: ResponseHeaderFlags, requestId: string): string {
  return rawFormatted(404, flags, requestId, 'json', NO_ROUTE_BODIES);
}
