/**
 * What the admin listeners answer a request Node's HTTP parser refuses before fastify sees it
 * (raw bytes past ASCII or a NUL in the request line, a malformed header, headers over the
 * limit): Kong's words (error_handlers.lua) as JSON, instead of Node's bodiless 400.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusMessage } from './errors.ts';

/** The answer, with `Server: <server>` when the `headers` key enables it (headers.ts). */
export function clientErrorAnswer(server: string | undefined) {
  const serverLine = server === undefined ? '' : `server: ${server}\r\n`;
  return (err: Error & { code?: string }, socket: Duplex): void => answerClientError(err, socket, serverLine);
}

function answerClientError(err: Error & { code?: string }, socket: Duplex, serverLine: string): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(statusMessage(status));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${serverLine}content-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
