/**
 * Kong's cache key (kong/plugins/proxy-cache/cache_key.lua): sha256 hex of
 * `<prefix>|<method>|<uri>|<params>|<headers>`, pure.
 *
 * - prefix: `<consumer id>:<route id>`, `<route id>`, or `default`;
 * - uri: Kong's `ngx.var.request` (the request line) with everything from `?` removed — so
 *   `GET /path` with a query string, `GET /path HTTP/1.1` without one (Kong's quirk, kept so
 *   keys are Kong's);
 * - params: `name=value` pairs joined by `:`, every query parameter sorted by name unless
 *   `vary_query_params` lists some (then those, in that order); a repeated one gives its values
 *   sorted and joined by `,`;
 * - headers: the same over `vary_headers` (none by default), names matched case-insensitively.
 */
import { createHash } from 'node:crypto';

/** A request's values by name: a string, or several for a repeated parameter. */
export type Args = ReadonlyMap<string, string | readonly string[]>;

export function prefixOf(consumerId: string | undefined, routeId: string | undefined): string {
  if (consumerId !== undefined && routeId !== undefined) return `${consumerId}:${routeId}`;
  if (routeId !== undefined) return routeId;
  return 'default';
}

/** Kong's generate_key_from. */
export function keyFrom(args: Args, fields: readonly string[]): string {
  const parts: string[] = [];
  for (const field of fields) {
    const arg = args.get(field);
    if (arg === undefined) continue;
    if (typeof arg === 'string') parts.push(`${field}=${arg}`);
    else parts.push(`${field}=${[...arg].sort().join(',')}`);
  }
  return parts.join(':');
}

export function paramsKey(params: Args, varyQueryParams: readonly string[] | null | undefined): string {
  if (varyQueryParams == null || varyQueryParams.length === 0)
    return keyFrom(params, [...params.keys()].sort());
  return keyFrom(params, varyQueryParams);
}

export function headersKey(headers: Args, varyHeaders: readonly string[] | null | undefined): string {
  if (varyHeaders == null || varyHeaders.length === 0) return '';
  return keyFrom(headers, varyHeaders);
}

/** Kong's `ngx.var.request` with `\?.*` removed. */
export function keyUri(method: string, rawTarget: string, httpVersion = '1.1'): string {
  const line = `${method} ${rawTarget} HTTP/${httpVersion}`;
  const q = line.indexOf('?');
  return q === -1 ? line : line.slice(0, q);
}

export function buildCacheKey(
  consumerId: string | undefined,
  routeId: string | undefined,
  method: string,
  uri: string,
  params: string,
  headers: string,
): string {
  return createHash('sha256')
    .update(`${prefixOf(consumerId, routeId)}|${method}|${uri}|${params}|${headers}`)
    .digest('hex');
}
