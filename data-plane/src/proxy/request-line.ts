/**
 * The checks every request passes before its headers are read: HTTP version, request-target
 * and header count. Shared by plain requests and WebSocket handshakes.
 */

import type { ProxyLimits } from './settings.ts';

const SLASH = 47;

/**
 * 0 for a version this listener serves, else the status to answer. On an HTTP/1 connection only
 * HTTP/1.x is served: a request line naming HTTP/2.0 (sent as text, not as HTTP/2 frames) gets
 * 505 as nginx answers, and HTTP/0.9 gets 400 — node reads the lines after a version-less request
 * line as headers, which is how `GET /a\r\nX-Injected: …` would smuggle a header.
 */
export function versionStatus(major: number, http2: boolean): number {
  if (major === 1) return 0;
  if (major === 2 && http2) return 0;
  return major === 0 ? 400 : 505;
}

/**
 * 505 / 400 for a version this connection does not serve (see versionStatus), 414 for a target
 * over the limit, 400 for anything but origin-form (absolute-form and `*` are refused), 431 for
 * too many headers; 0 when the request may go on. `http2` says the request came as HTTP/2 frames.
 */
export function requestLineStatus(
  url: string,
  rawHeaders: readonly string[],
  limits: ProxyLimits,
  major: number,
  http2: boolean,
): number {
  if (major !== 1) {
    const status = versionStatus(major, http2);
    if (status !== 0) return status;
  }
  if (url.length > limits.maxUrlLength) return 414;
  if (url.charCodeAt(0) !== SLASH) return 400;
  if (rawHeaders.length > limits.maxHeaderCount * 2) return 431;
  return 0;
}
