/**
 * One pass over the client's raw headers: what the proxy needs to know (Host, X-Forwarded-*,
 * body framing) and the flat [name, value, …] list forwarded upstream without hop-by-hop headers
 * or the ones the proxy sets itself. Names are lowercased only when their length could make them
 * one of those, so most headers cost a length test.
 */

import { isValidHost } from './host-header.ts';

export interface ScannedHeaders {
  /** 0 when the headers are acceptable, else the status to answer (400, 431). An invalid Host is 400. */
  status: number;
  /** Headers to send upstream, flat, in the client's order and case. */
  forward: string[];
  host: string | undefined;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  forwardedHost: string | undefined;
  forwardedPort: string | undefined;
  forwardedPath: string | undefined;
  forwardedPrefix: string | undefined;
  /** The client's Via headers, joined: Kong keeps them and appends its own (forwarded-headers.ts). */
  via: string | undefined;
  /** The value of real_ip_header. */
  realIp: string | undefined;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
}

/** Hop-by-hop headers (RFC 9110 7.6.1), by lowercase name: never passed on, either way. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Never forwarded upstream: hop-by-hop, httpoxy's `Proxy`, and `Expect` (node answered it). */
const DROPPED = new Set([...HOP_BY_HOP, 'proxy', 'expect']);

/** Replaced by the proxy's own values. */
const REPLACED = new Set([
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-real-ip',
  'via',
]);

/** Connection tokens that name no header to remove. */
const CONNECTION_OPTIONS = new Set(['close', 'keep-alive']);

function lengthsOf(...sets: ReadonlySet<string>[]): Uint8Array {
  const table = new Uint8Array(64);
  for (const set of sets) for (const name of set) table[name.length] = 1;
  return table;
}

function join(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}

/** Scans once per request; `realIpHeader` is lowercase. */
export class RequestHeaderScanner {
  readonly #realIpHeader: string;
  readonly #maxBytes: number;
  readonly #interesting: Uint8Array;
  /** headers_upstream lists X-Kong-Request-Id: the client's is dropped (the proxy sends its own). */
  readonly #dropRequestId: boolean;

  constructor(realIpHeader: string, maxBytes: number, dropRequestId = false) {
    this.#realIpHeader = realIpHeader;
    this.#maxBytes = maxBytes;
    this.#dropRequestId = dropRequestId;
    this.#interesting = lengthsOf(
      DROPPED,
      REPLACED,
      new Set(['content-length', 'x-kong-request-id', realIpHeader]),
    );
  }

  scan(raw: readonly string[]): ScannedHeaders {
    const out: ScannedHeaders = {
      status: 0,
      forward: [],
      host: undefined,
      forwardedFor: undefined,
      forwardedProto: undefined,
      forwardedHost: undefined,
      forwardedPort: undefined,
      forwardedPath: undefined,
      forwardedPrefix: undefined,
      via: undefined,
      realIp: undefined,
      contentLength: -1,
      chunked: false,
    };
    const forward = out.forward;
    const interesting = this.#interesting;
    let bytes = 0;
    let connection: string | undefined;
    let authority = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      bytes += name.length + value.length + 4;
      if (name.charCodeAt(0) === 58 /* : */) {
        // HTTP/2 pseudo-headers (an HTTP/1 parser never yields them): :authority is the Host
        // (RFC 9113 8.3.1), the others are the request line node already parsed.
        if (name === ':authority') {
          out.host = value;
          authority = true;
        }
        continue;
      }
      if (name.length >= 64 || interesting[name.length] === 0) {
        forward.push(name, value);
        continue;
      }
      const lower = name.toLowerCase();
      if (lower === this.#realIpHeader) out.realIp = join(out.realIp, value);
      switch (lower) {
        case 'host':
          // With :authority, Host is ignored (RFC 9113 8.3.1).
          if (authority) continue;
          // Two Host headers are ambiguous (RFC 9112 3.2): refuse, as nginx does.
          if (out.host !== undefined) out.status = 400;
          out.host = value;
          continue;
        case 'x-kong-request-id':
          if (!this.#dropRequestId) forward.push(name, value);
          continue;
        case 'content-length':
          out.contentLength = Number(value);
          forward.push(name, value);
          continue;
        case 'transfer-encoding':
          out.chunked = true;
          continue;
        case 'connection':
          connection = join(connection, value);
          continue;
        case 'x-forwarded-for':
          out.forwardedFor = join(out.forwardedFor, value);
          continue;
        case 'x-forwarded-proto':
          out.forwardedProto = join(out.forwardedProto, value);
          continue;
        case 'x-forwarded-host':
          out.forwardedHost = join(out.forwardedHost, value);
          continue;
        case 'x-forwarded-port':
          out.forwardedPort = join(out.forwardedPort, value);
          continue;
        case 'x-forwarded-path':
          out.forwardedPath = join(out.forwardedPath, value);
          continue;
        case 'x-forwarded-prefix':
          out.forwardedPrefix = join(out.forwardedPrefix, value);
          continue;
        case 'via':
          out.via = join(out.via, value);
          continue;
      }
      if (!DROPPED.has(lower) && !REPLACED.has(lower)) forward.push(name, value);
    }
    if (bytes > this.#maxBytes) out.status = 431;
    // Host (or :authority) must be an RFC 3986 host[:port]: anything else never reaches a router or an upstream.
    else if (out.host !== undefined && !isValidHost(out.host)) out.status = 400;
    if (connection !== undefined) out.forward = dropConnectionNamed(forward, connection);
    return out;
  }
}

/** Removes every header named in Connection (RFC 9110 7.6.1). Rare: most clients name none. */
export function dropConnectionNamed(forward: string[], connection: string): string[] {
  const named = new Set<string>();
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && !CONNECTION_OPTIONS.has(name)) named.add(name);
  }
  if (named.size === 0) return forward;
  const kept: string[] = [];
  for (let i = 0; i < forward.length; i += 2) {
    if (!named.has(forward[i]!.toLowerCase())) kept.push(forward[i]!, forward[i + 1]!);
  }
  return kept;
}
