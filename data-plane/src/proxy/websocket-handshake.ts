/**
 * What makes an upgrade request a WebSocket opening handshake the proxy will carry (RFC 6455
 * 4.1/4.2.1), and which route protocols take it over which transport. Pure functions.
 */

import type { IncomingMessage } from 'node:http';

/** node's `shouldUpgradeCallback`: only WebSocket upgrades leave the request pipeline. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return typeof upgrade === 'string' && upgrade.trim().toLowerCase() === 'websocket';
}

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * 0 when the handshake is well formed, else the status to answer: 400 for a malformed one,
 * 405 for another method than GET. A body is refused: nothing may follow the handshake's
 * headers but frames, and those only after the 101.
 */
export function handshakeStatus(req: IncomingMessage, contentLength: number, chunked: boolean): number {
  if (req.method !== 'GET') return 405;
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return 400;
  if (contentLength > 0 || chunked) return 400;
  const key = req.headers['sec-websocket-key'];
  // A 16-byte nonce, base64 (RFC 6455 4.1 item 7).
  if (typeof key !== 'string' || !KEY.test(key.trim())) return 400;
  if (req.headers['sec-websocket-version'] === undefined) return 400;
  return 0;
}

const PLAIN = new Set(['http', 'ws']);
const SECURE = new Set(['https', 'wss']);
const WEB_SOCKET = new Set(['ws', 'wss']);
const DEFAULT_PROTOCOLS: readonly string[] = ['http', 'https'];

function some(protocols: readonly string[], set: ReadonlySet<string>): boolean {
  for (const p of protocols) if (set.has(p)) return true;
  return false;
}

/**
 * Whether a route takes a WebSocket handshake: `ok`, `https` (only over TLS: answer 426 as for
 * an https-only route) or `no` (a grpc-only route, say: as if no route matched). http and https
 * routes take WebSocket too, as Kong proxies any Upgrade: websocket request nginx receives.
 */
export function upgradeAcceptance(
  protocols: readonly string[] | null | undefined,
  tls: boolean,
): 'ok' | 'https' | 'no' {
  const list =
    protocols === null || protocols === undefined || protocols.length === 0 ? DEFAULT_PROTOCOLS : protocols;
  if (some(list, tls ? SECURE : PLAIN)) return 'ok';
  return !tls && some(list, SECURE) ? 'https' : 'no';
}

/** True for a route that takes only WebSocket handshakes (protocols ws / wss, no http / https). */
export function isWebSocketOnly(protocols: readonly string[] | null | undefined): boolean {
  if (protocols === null || protocols === undefined || protocols.length === 0) return false;
  for (const p of protocols) if (!WEB_SOCKET.has(p)) return false;
  return true;
}
