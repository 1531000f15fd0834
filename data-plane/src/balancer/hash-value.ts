/**
 * The value consistent hashing hashes, as Kong's get_value_to_hash (kong/runloop/balancer/init.lua):
 * `hash_on`, then `hash_fallback` when the first yields nothing; no value at all hashes "" (Kong's
 * `or ""`). For `cookie`, a missing cookie is created (a UUID) and set on the response.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { HashSource, UpstreamSpec } from './types.ts';

/** What the proxy knows of a request when it balances. */
export interface HashRequest {
  readonly headers: IncomingHttpHeaders;
  /** The client address after trusted_ips / real_ip_header (nginx's $remote_addr). */
  readonly clientIp: string;
  /** The normalised request path (nginx's $uri). */
  readonly path: string;
  /** The query string without '?', or '' when none. */
  readonly query: string;
  readonly uriCaptures: { readonly [group: string]: string } | undefined;
  /** The authenticated consumer's id, else the credential's; undefined until auth plugins set it. */
  readonly consumerId: string | undefined;
}

export interface HashDecision {
  readonly value: string;
  /** A Set-Cookie header value when the hash cookie was absent and has been created. */
  readonly setCookie: string | undefined;
}

/** One value of a cookie from the Cookie header(s), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Kong's get_query_arg: repeated arguments sorted and joined with ','. */
function queryArg(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  const values = new URLSearchParams(query).getAll(name);
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values.sort().join(',');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

function read(source: HashSource, req: HashRequest): string | undefined {
  switch (source.on) {
    case 'consumer':
      return req.consumerId;
    case 'ip':
      return req.clientIp;
    case 'header':
      return headerValue(req.headers, source.name);
    case 'cookie':
      return cookieValue(req.headers.cookie, source.name);
    case 'path':
      return req.path;
    case 'query_arg':
      return queryArg(req.query, source.name);
    case 'uri_capture':
      return req.uriCaptures?.[source.name];
    default:
      return undefined;
  }
}

/** Kong's set_cookie value. */
export function hashCookie(name: string, value: string, path: string): string {
  return `${name}=${value}; Path=${path}; Same-Site=Lax; HttpOnly`;
}

function fromSource(source: HashSource, spec: UpstreamSpec, req: HashRequest): HashDecision | undefined {
  const value = read(source, req);
  if (value !== undefined) return { value, setCookie: undefined };
  if (source.on !== 'cookie') return undefined;
  const created = randomUUID();
  return { value: created, setCookie: hashCookie(source.name, created, spec.cookiePath) };
}

const NO_HASH: HashDecision = Object.freeze({ value: '', setCookie: undefined });

export function hashValue(spec: UpstreamSpec, req: HashRequest): HashDecision {
  if (spec.hashOn.on === 'none') return NO_HASH;
  const first = fromSource(spec.hashOn, spec, req);
  if (first !== undefined) return first;
  if (spec.hashFallback.on === 'none') return NO_HASH;
  return fromSource(spec.hashFallback, spec, req) ?? NO_HASH;
}
