/**
 * Responses the proxy makes itself, with Kong's exact bodies (kong/error_handlers.lua BODIES and
 * kong/runloop/handler.lua). Bodies are encoded once, at import, never per request.
 */

import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { TURNPIKE_VERSION } from '@turnpike/shared';
import type { ChainExit, PluginRun } from '../runtime/index.ts';
import type { ResponseHeaderFlags } from './settings.ts';

export const SERVER_TOKEN = `turnpike/${TURNPIKE_VERSION}`;
export const VIA_TOKEN = `1.1 ${SERVER_TOKEN}`;

/**
 * Kong's words per status. 431 and 405 are Turnpike's (nginx answers 494 / 400 instead); so is 505,
 * for which Kong lets nginx answer with its own HTML page.
 */
export const KONG_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  411: 'Length required',
  413: 'Payload too large',
  414: 'URI too long',
  426: 'Please use HTTPS protocol',
  431: 'Request header or cookie too large',
  500: 'An unexpected error occurred',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
  505: 'HTTP version not supported',
};

export const NO_ROUTE_MESSAGE = 'no Route matched with those values';
/** Turnpike's words for a plain request to a route whose protocols are only ws / wss. */
export const WEBSOCKET_ONLY_MESSAGE = 'Please use WebSocket protocol';
const JSON_TYPE = 'application/json; charset=utf-8';

function encode(message: string): Buffer {
  return Buffer.from(JSON.stringify({ message }));
}

const BODIES = new Map<number, Buffer>(
  Object.entries(KONG_MESSAGES).map(([status, message]) => [Number(status), encode(message)]),
);
const NO_ROUTE_BODY = encode(NO_ROUTE_MESSAGE);
const WEBSOCKET_ONLY_BODY = encode(WEBSOCKET_ONLY_MESSAGE);

/**
 * HTTP/2 forbids connection-specific headers (RFC 9113 8.2.2): node would drop them with a warning.
 * Told by the compat response's stream, not the request's version: a text request line may claim
 * HTTP/2.0 on an HTTP/1 connection (it is answered 505 and closed).
 */
function isHttp2(res: ServerResponse): boolean {
  return (res as { stream?: unknown }).stream !== undefined;
}

export function kongBody(status: number): Buffer {
  let body = BODIES.get(status);
  if (body === undefined) {
    body = encode(`The upstream server responded with ${status}`);
    BODIES.set(status, body);
  }
  return body;
}

function latency(startedAt: number): string {
  return String(Math.round(performance.now() - startedAt));
}

/** Headers every response Turnpike makes itself carries. */
function ownHeaders(
  flags: ResponseHeaderFlags,
  startedAt: number,
  length: number,
  withBody: boolean,
): string[] {
  const headers = withBody
    ? ['Content-Type', JSON_TYPE, 'Content-Length', String(length)]
    : ['Content-Length', '0'];
  if (flags.responseLatency) headers.push('X-Kong-Response-Latency', latency(startedAt));
  if (flags.server) headers.push('Server', SERVER_TOKEN);
  return headers;
}

/** Kong's `{"message": …}` answer; `close` ends the connection after it (the request was not read). */
export function sendKongError(
  res: ServerResponse,
  status: number,
  flags: ResponseHeaderFlags,
  startedAt: number,
  close = false,
  body: Buffer = kongBody(status),
): void {
  const headers = ownHeaders(flags, startedAt, body.length, true);
  if (close && !isHttp2(res)) headers.push('Connection', 'close');
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * A response a plugin made (`ctx.response.exit`, or the 500 of one that threw): the plugins'
 * header phase sees it first, then Turnpike's own headers are added. The plugins' values were
 * checked when they were set (plugins/runtime/plugin-values.ts).
 */
export function sendPluginExit(
  res: ServerResponse,
  exit: ChainExit,
  run: PluginRun,
  flags: ResponseHeaderFlags,
  startedAt: number,
  close: boolean,
): void {
  const headers = [...exit.headers];
  run.header(exit.status, headers);
  // A header phase threw: the exit is not sent as the plugins left it, Kong's 500 is.
  if (run.failed) {
    sendKongError(res, 500, flags, startedAt, close);
    return;
  }
  const body = exit.body;
  headers.push('Content-Length', String(body?.length ?? 0));
  if (flags.responseLatency) headers.push('X-Kong-Response-Latency', latency(startedAt));
  if (flags.server) headers.push('Server', SERVER_TOKEN);
  if (close && !isHttp2(res)) headers.push('Connection', 'close');
  res.writeHead(exit.status, headers);
  res.end(body);
}

export function sendNoRoute(res: ServerResponse, flags: ResponseHeaderFlags, startedAt: number): void {
  sendKongError(res, 404, flags, startedAt, false, NO_ROUTE_BODY);
}

/** Kong's answer to http on an https-only route: 426 with Upgrade, or a redirect to https. */
export function sendHttpsRedirect(
  res: ServerResponse,
  status: number,
  forwardedHost: string,
  requestUri: string,
  flags: ResponseHeaderFlags,
  startedAt: number,
): void {
  if (status === 426) {
    const body = kongBody(426);
    const headers = ownHeaders(flags, startedAt, body.length, true);
    if (!isHttp2(res)) headers.push('Connection', 'Upgrade', 'Upgrade', 'TLS/1.2, HTTP/1.1');
    res.writeHead(426, headers);
    res.end(body);
    return;
  }
  const headers = ownHeaders(flags, startedAt, 0, false);
  headers.push('Location', `https://${forwardedHost}${requestUri}`);
  res.writeHead(status, headers);
  res.end();
}

/** 426 for a plain HTTP request to a route that only takes WebSocket (ws / wss). */
export function sendWebSocketOnly(res: ServerResponse, flags: ResponseHeaderFlags, startedAt: number): void {
  const headers = ownHeaders(flags, startedAt, WEBSOCKET_ONLY_BODY.length, true);
  if (!isHttp2(res)) headers.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
  res.writeHead(426, headers);
  res.end(WEBSOCKET_ONLY_BODY);
}

/**
 * A whole response written straight to a socket, for requests node's parser refused or CONNECT:
 * there is no ServerResponse then. The connection is always closed after it.
 */
export function rawKongError(
  status: number,
  flags: ResponseHeaderFlags,
  body: Buffer = kongBody(status),
): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${body.length}\r\n`;
  if (flags.server) head += `Server: ${SERVER_TOKEN}\r\n`;
  return `${head}Connection: close\r\n\r\n${body.toString('latin1')}`;
}

/** rawKongError's 404 with Kong's no-route body, for upgrade requests no route takes. */
export function rawNoRoute(flags: ResponseHeaderFlags): string {
  return rawKongError(404, flags, NO_ROUTE_BODY);
}
