/**
 * nginx's `combined` log format, which Kong's `kong_log_format` extends with the request id
 * (kong/templates/nginx_kong.lua):
 *
 *     $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
 *     "$http_referer" "$http_user_agent"
 *
 * Values are escaped as nginx's `escape=default` does: `"`, `\` and bytes below 0x20 or above
 * 0x7e become `\xHH`; an empty or absent value is `-`.
 */

import type { IncomingMessage } from 'node:http';
import { timeLocalNow } from './time-local.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is escaped
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f-\uffff]/;

/** A value as nginx writes it in a log line. */
export function logValue(value: string | undefined): string {
  if (value === undefined || value === '') return '-';
  if (!NEEDS_ESCAPE.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'latin1')) {
    out +=
      byte === 0x22 || byte === 0x5c || byte < 0x20 || byte > 0x7e
        ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}

/** nginx's `$remote_user`: the user of a Basic Authorization header, else `-`. */
export function remoteUser(authorization: string | undefined): string {
  if (authorization === undefined || authorization.length < 7) return '-';
  if (authorization.slice(0, 6).toLowerCase() !== 'basic ') return '-';
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return logValue(colon === -1 ? decoded : decoded.slice(0, colon));
}

/** nginx's `$request`: the request line as received. */
export function requestLine(req: IncomingMessage): string {
  return `${req.method ?? '-'} ${req.url ?? '/'} HTTP/${req.httpVersion}`;
}

/** One `combined` line without its newline. */
export function combinedLine(
  req: IncomingMessage,
  remoteAddr: string,
  status: number,
  bodyBytes: number,
): string {
  const headers = req.headers;
  return `${remoteAddr} - ${remoteUser(headers.authorization)} [${timeLocalNow()}] "${logValue(requestLine(req))}" ${status} ${bodyBytes} "${logValue(headers.referer)}" "${logValue(headers['user-agent'])}"`;
}
