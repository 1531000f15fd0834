/**
 * The headers Kong adds to every proxied request (plain or WebSocket upgrade): Host per
 * preserve_host, X-Forwarded-For/-Proto/-Host/-Port/-Path/-Prefix (the incoming ones believed
 * only from a trusted peer), X-Real-IP and Via. Appended to the flat header list the scanner built.
 */
import type { Match } from '../router/index.ts';
import type { Peer } from './client-address.ts';
import { SERVER_TOKEN } from './kong-responses.ts';
import type { ScannedHeaders } from './request-headers.ts';

/**
 * Kong's upstream Via (kong/runloop/handler.lua `upstream_via`, sent whatever `headers` says):
 * the client's Via, then `<its HTTP version> kong/x.y.z`. Kong prints the version as a Lua
 * number, so HTTP/2 is `2` (RFC 9110's received-protocol too) but HTTP/1.0 `1`; we write `1.0`,
 * as RFC 9110 7.6.3 has it.
 */
const UPSTREAM_VIA: Readonly<Record<string, string>> = {
  '1.1': `1.1 ${SERVER_TOKEN}`,
  '2.0': `2 ${SERVER_TOKEN}`,
  '1.0': `1.0 ${SERVER_TOKEN}`,
};

function upstreamVia(httpVersion: string): string {
  return UPSTREAM_VIA[httpVersion] ?? `${httpVersion} ${SERVER_TOKEN}`;
}

/** nginx's $host: the Host header without its port, lowercase. */
export function hostName(host: string | undefined, fallback: string): string {
  if (host === undefined || host === '') return fallback;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    return (end === -1 ? host : host.slice(0, end + 1)).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

export interface ForwardedValues {
  readonly peer: Peer;
  /** The client address (X-Real-IP), after the realip rules. */
  readonly client: string;
  readonly proto: string;
  readonly host: string;
  /** This listener's port. */
  readonly port: string;
  /** The request path, without the query. */
  readonly path: string;
  /** The client's HTTP version as node gives it (`1.1`, `2.0`…), for Via. */
  readonly httpVersion: string;
}

/**
 * Appends Host and the forwarding headers to `scanned.forward`; returns the index of the Host
 * value (the balancer rewrites it per attempt).
 */
export function appendForwardedHeaders(scanned: ScannedHeaders, found: Match, v: ForwardedValues): number {
  const headers = scanned.forward;
  const trusted = v.peer.trusted;
  const hostIndex = headers.length + 1;
  headers.push('Host', found.upstreamHost ?? found.service!.host);
  headers.push(
    'X-Forwarded-For',
    scanned.forwardedFor === undefined ? v.client : `${scanned.forwardedFor}, ${v.peer.address}`,
    'X-Forwarded-Proto',
    v.proto,
    'X-Forwarded-Host',
    v.host,
    'X-Forwarded-Port',
    (trusted ? scanned.forwardedPort : undefined) ?? v.port,
    'X-Forwarded-Path',
    (trusted ? scanned.forwardedPath : undefined) ?? v.path,
  );
  const prefix =
    (trusted ? scanned.forwardedPrefix : undefined) ?? (found.prefix === '/' ? undefined : found.prefix);
  if (prefix !== undefined) headers.push('X-Forwarded-Prefix', prefix);
  headers.push('X-Real-IP', v.client);
  const via = upstreamVia(v.httpVersion);
  headers.push('Via', scanned.via === undefined ? via : `${scanned.via}, ${via}`);
  return hostIndex;
}

/** Where the Host value sits in a flat header list after plugins changed it; -1 when gone. */
export function hostValueIndex(headers: readonly string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') return i + 1;
  }
  return -1;
}
