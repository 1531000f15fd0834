/**
 * Requests node's parser refused (the server's 'clientError'): which status they get, and when
 * it is written. A connection may carry complete requests before the bad bytes (pipelining):
 * those are answered first, in order, then the error, then the connection closes — as nginx
 * does. The bad request itself never reached the pipeline's upstream call with a complete body.
 */

import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { rawKongError } from './kong-responses.ts';
import { newRequestId } from './request-id.ts';
import type { ResponseHeaderFlags } from './settings.ts';

/** What node's parser attaches to the errors it reports. */
export interface ParserError {
  readonly code?: string | undefined;
  /** The chunk being parsed when the error was found. */
  readonly rawPacket?: Buffer | undefined;
  /** How far into rawPacket the parser got. */
  readonly bytesParsed?: number | undefined;
}

const LF = 10;
const SP = 32;

/** RFC 9110 tchar, by char code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/**
 * Whether `raw[start, end)` is the start of a request line still being read: a method token, one
 * space, then target bytes without a space. A header line cannot look like that (a space before
 * its colon fails the parser first), nor can a request line whose target is complete.
 */
function isRequestLineStart(raw: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && raw[i]! < 128 && TCHAR[raw[i]!] === 1) i++;
  if (i === start || i >= end - 1 || raw[i] !== SP) return false;
  for (i++; i < end; i++) if (raw[i]! <= SP) return false;
  return true;
}

/**
 * 414 when node's header limit was passed inside the request line, 431 inside the headers. node
 * counts both against one limit and reports one code; the line being read is told by the bytes
 * after the last line feed of the chunk the parser stopped in. When that chunk holds no line feed
 * and does not begin a request line (a line trickled in small writes), it is taken as a header: 431.
 */
export function overflowStatus(err: ParserError): number {
  const raw = err.rawPacket;
  if (raw === undefined || raw.length === 0) return 431;
  const end = Math.min(err.bytesParsed ?? raw.length, raw.length);
  const lf = end === 0 ? -1 : raw.lastIndexOf(LF, end - 1);
  return isRequestLineStart(raw, lf + 1, end) ? 414 : 431;
}

/** 505 when the refused version names another major version than 1, else 400 (HTTP/1.2…). */
function invalidVersionStatus(err: ParserError): number {
  const raw = err.rawPacket;
  if (raw === undefined) return 400;
  const end = Math.min(err.bytesParsed ?? raw.length, raw.length);
  const at = raw.subarray(0, end).lastIndexOf('HTTP/');
  const major = at === -1 ? undefined : raw[at + 5];
  return major === undefined || major === 49 /* 1 */ ? 400 : 505;
}

/** The status for a request node's parser refused (err.code from llhttp or node). */
export function clientErrorStatus(err: ParserError): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return overflowStatus(err);
    case 'HPE_INVALID_VERSION':
      return invalidVersionStatus(err);
    case 'HPE_HEADERS_TIMEOUT':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

const kPending = Symbol('turnpike.client-error');
const kSocket = Symbol('turnpike.client-error.socket');

interface PendingAnswer {
  readonly bytes: string;
}

type AnsweredSocket = Duplex & {
  [kPending]?: PendingAnswer;
  /** node's in-flight ServerResponse on this connection (the one node itself checks). */
  _httpMessage?: ServerResponse | null;
};
type WaitedResponse = ServerResponse & {
  [kSocket]?: AnsweredSocket;
  /** node's "close the connection after this response" (set when the client half-closed). */
  _last?: boolean;
  /** The response head as written (node's). */
  _header?: string | null;
};

const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;

function destroySelf(this: Duplex): void {
  this.destroy();
}

function writeAndClose(socket: AnsweredSocket, bytes: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // node's servers allow half-open connections: close ours once the answer is flushed.
  socket.once('finish', destroySelf);
  socket.end(bytes);
}

/**
 * Runs before node's own 'finish' handling: the error answer still has to go out after this
 * response, so node must not close the connection when it is done (it would, when the client
 * half-closed after sending the bad bytes; `_last` is node's flag for it).
 */
function keepOpenForTheError(this: WaitedResponse): void {
  // A response that itself said Connection: close ends the connection: the error goes unsaid.
  if (!CONNECTION_CLOSE.test(this._header ?? '')) this._last = false;
}

function onAnsweredBefore(this: WaitedResponse): void {
  const socket = this[kSocket];
  this[kSocket] = undefined;
  if (socket !== undefined) settle(socket);
}

/** Writes the error once every complete request before it has its answer. */
function settle(socket: AnsweredSocket): void {
  const pending = socket[kPending]!;
  if (socket.destroyed) return;
  const current = socket._httpMessage;
  if (current !== null && current !== undefined && !current.writableFinished) {
    if (current.req.complete) {
      // A request that arrived whole before the bad bytes: its answer goes first.
      const waited = current as WaitedResponse;
      waited[kSocket] = socket;
      waited.prependOnceListener('finish', keepOpenForTheError);
      waited.once('finish', onAnsweredBefore);
      waited.once('close', onAnsweredBefore);
      return;
    }
    // The bad bytes belong to the request being answered: too late for a status once it started.
    if (current.headersSent) {
      socket.destroy();
      return;
    }
  }
  writeAndClose(socket, pending.bytes);
}

/** True while the answer to an earlier request on this connection is still being written. */
export function hasPendingResponse(socket: Duplex): boolean {
  const current = (socket as AnsweredSocket)._httpMessage;
  return current !== null && current !== undefined && !current.writableFinished;
}

/**
 * Writes `bytes` (a whole raw response) and closes the connection, once, after the answers to the
 * complete requests before it: for bytes that do not parse, a CONNECT, a pipelined upgrade.
 */
export function answerAfterPending(socket: Duplex, bytes: string): void {
  const answered = socket as AnsweredSocket;
  // The parser reports the same error again for every later chunk: answer once.
  if (answered[kPending] !== undefined) return;
  answered[kPending] = { bytes };
  settle(answered);
}

/**
 * The server's 'clientError' listener: Kong's status and body on the raw socket (there is no
 * ServerResponse for bytes that do not parse), once, after the answers to the complete requests
 * before them.
 */
export function answerClientError(err: ParserError, socket: Duplex, flags: ResponseHeaderFlags): void {
  if (err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  answerAfterPending(socket, rawKongError(clientErrorStatus(err), flags, newRequestId()));
}
