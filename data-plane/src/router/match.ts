/**
 * Per-request matching: cache lookup (this version's entries, then the previous version's, kept
 * only if the patch cannot have changed them), then the index walk described in compile.ts, then
 * the Match (upstream path, host, captures, https redirect) for the winning route.
 */

import type { CompiledRoute, RouteBucket, Router } from './compile.ts';
import { NO_MATCH } from './compile.ts';
import { type HostPattern, hostPatternMatches, normalizeSni, splitHostPort } from './host.ts';
import type { CachedMatch, MatchCache } from './match-cache.ts';
import { escapePath, normalizePath } from './normalize.ts';
import type { HeaderLookup, HeaderValue, Match, RequestKey, UriCaptures } from './types.ts';
import { upstreamPath } from './upstream-path.ts';

/** Keys longer than this (huge header values) are not cached, so the cache stays bounded in bytes too. */
const MAX_CACHE_KEY_LENGTH = 4096;

/** The request as the matchers see it, and the best candidate so far. Built once per cache miss. */
interface Search {
  readonly method: string;
  readonly https: boolean;
  readonly host: string;
  readonly port: number;
  readonly sni: string | undefined;
  readonly path: string;
  readonly headers: HeaderLookup;
  /** The regex result of the route being tested. */
  exec: RegExpExecArray | null;
  bestRank: number;
  best: CompiledRoute | undefined;
  bestPath: number;
  bestExec: RegExpExecArray | null;
}

function headerValue(headers: HeaderLookup, name: string): HeaderValue {
  return typeof headers === 'function' ? headers(name) : headers[name];
}

function anyHostMatches(patterns: readonly HostPattern[], host: string, port: number): boolean {
  for (const pattern of patterns) if (hostPatternMatches(pattern, host, port)) return true;
  return false;
}

function headerValueMatches(exact: ReadonlySet<string>, patterns: readonly RegExp[], value: string): boolean {
  if (exact.has(value.toLowerCase())) return true;
  for (const pattern of patterns) if (pattern.test(value)) return true;
  return false;
}

function headersMatch(route: CompiledRoute, headers: HeaderLookup): boolean {
  for (const { name, exact, patterns } of route.headers ?? []) {
    const value = headerValue(headers, name);
    if (typeof value === 'string') {
      if (!headerValueMatches(exact, patterns, value)) return false;
    } else if (!Array.isArray(value) || !value.some((v) => headerValueMatches(exact, patterns, v))) {
      // Absent, or not a header at all (a plain object's inherited `constructor`, say).
      return false;
    }
  }
  return true;
}

/** Index of the route path that matched (0 for a route without paths), or -1. */
function pathMatch(route: CompiledRoute, search: Search): number {
  const paths = route.paths;
  if (paths === undefined) return 0;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i]!;
    if (p.regex === undefined) {
      if (search.path.startsWith(p.value)) return i;
    } else {
      const exec = p.regex.exec(search.path);
      if (exec !== null) {
        search.exec = exec;
        return i;
      }
    }
  }
  return -1;
}

function routeMatches(route: CompiledRoute, search: Search): number {
  if (route.methods !== undefined && !route.methods.has(search.method)) return -1;
  // As Kong: SNIs only constrain https requests.
  if (route.snis !== undefined && search.https) {
    if (search.sni === undefined || !anyHostMatches(route.snis, search.sni, -1)) return -1;
  }
  if (route.hosts !== undefined && !anyHostMatches(route.hosts, search.host, search.port)) return -1;
  if (route.headers !== undefined && !headersMatch(route, search.headers)) return -1;
  return pathMatch(route, search);
}

/** Keeps the first full match of a rank-ordered list if it beats the best so far. */
function searchList(list: readonly CompiledRoute[], search: Search): void {
  for (const route of list) {
    if (route.rank >= search.bestRank) return;
    search.exec = null;
    const pathIndex = routeMatches(route, search);
    if (pathIndex >= 0) {
      search.bestRank = route.rank;
      search.best = route;
      search.bestPath = pathIndex;
      search.bestExec = search.exec;
      return;
    }
  }
}

function searchBucket(bucket: RouteBucket | undefined, search: Search): void {
  if (bucket === undefined) return;
  searchList(bucket.unindexed, search);
  const path = search.path;
  for (const length of bucket.prefixLengths) {
    if (length > path.length) return;
    const list = bucket.byPrefix.get(length === path.length ? path : path.slice(0, length));
    if (list !== undefined) searchList(list, search);
  }
}

function captures(exec: RegExpExecArray): UriCaptures | undefined {
  const out: Record<string, string> = {};
  let count = 0;
  for (let i = 0; i < exec.length; i++) {
    const value = exec[i];
    if (value !== undefined) {
      out[i] = value;
      count++;
    }
  }
  if (exec.groups !== undefined) {
    for (const [name, value] of Object.entries(exec.groups)) {
      if (value !== undefined) {
        out[name] = value;
        count++;
      }
    }
  }
  // As Kong: no uri_captures when the whole match is all there is.
  return count > 1 ? Object.freeze(out) : undefined;
}

function buildMatch(req: RequestKey, search: Search, route: CompiledRoute): Match {
  const exec = search.bestExec;
  const matchedPath = route.paths?.[search.bestPath];
  const matched = matchedPath === undefined ? undefined : exec !== null ? exec[0] : matchedPath.value;
  const upstream = upstreamPath(route.pathHandling, route.stripPath, matched, search.path, route.servicePath);
  return Object.freeze({
    route: route.route,
    service: route.service,
    redirectStatus: search.https ? undefined : route.httpsRedirectStatus,
    grpc: route.grpc,
    path: search.path,
    prefix: route.stripPath ? matched : undefined,
    upstreamPath: escapePath(upstream),
    upstreamHost: route.preserveHost ? (req.host ?? req.sni) : route.serviceHost,
    uriCaptures: exec === null ? undefined : captures(exec),
  });
}

/** The port of a Host header without one (see RouterFlavor). */
function implicitPort(router: Router, req: RequestKey, https: boolean): number {
  const schemePort = https ? 443 : 80;
  return router.flavor === 'traditional' ? schemePort : (req.localPort ?? schemePort);
}

function newSearch(router: Router, req: RequestKey): Search {
  const https = req.scheme === 'https';
  const split = req.host === undefined ? undefined : splitHostPort(req.host);
  return {
    method: req.method,
    https,
    host: split?.host ?? '',
    port: split === undefined || split.port === -1 ? implicitPort(router, req, https) : split.port,
    sni: normalizeSni(req.sni),
    path: normalizePath(req.path),
    headers: req.headers,
    exec: null,
    bestRank: Number.POSITIVE_INFINITY,
    best: undefined,
    bestPath: -1,
    bestExec: null,
  };
}

function findRoute(router: Router, req: RequestKey): Match | undefined {
  const search = newSearch(router, req);
  const { byHost, wildcardHosts, anyHost } = router.index;
  if (search.host !== '') searchBucket(byHost.get(search.host), search);
  searchBucket(wildcardHosts, search);
  searchBucket(anyHost, search);
  return search.best === undefined ? undefined : buildMatch(req, search, search.best);
}

function appendHeader(key: string, value: HeaderValue): string {
  if (value === undefined) return `${key}\n\u0000`;
  return `${key}\n${typeof value === 'string' ? value : value.join('\u0001')}`;
}

/** Every field that can change the outcome; header values only for names some route uses. */
function cacheKey(router: Router, req: RequestKey): string | undefined {
  let key = `${req.method}\n${req.scheme}\n${req.host ?? ''}\n${req.localPort ?? ''}\n${req.sni ?? ''}\n${req.path}`;
  for (const name of router.index.headerNames) key = appendHeader(key, headerValue(req.headers, name));
  return key.length > MAX_CACHE_KEY_LENGTH ? undefined : key;
}

/**
 * The previous version's answer for `key`, if this version gives the same: its route was not
 * rebuilt and none of the rebuilt routes matches the request (every other route kept its rank,
 * so the old winner still beats them all). Moved into this version's cache.
 */
function inherited(router: Router, cache: MatchCache, key: string, req: RequestKey): CachedMatch | undefined {
  const changed = router.changed;
  const candidate = cache.candidate(key);
  if (candidate === undefined || changed === undefined) return undefined;
  if (candidate !== NO_MATCH && changed.routes.has(candidate.route.id)) return undefined;
  if (changed.added.length > 0) {
    const search = newSearch(router, req);
    for (const route of changed.added) if (routeMatches(route, search) >= 0) return undefined;
  }
  cache.set(key, candidate);
  return candidate;
}

/** The route Kong would pick for this request, or undefined (404). */
export function match(router: Router, req: RequestKey): Match | undefined {
  const cache = router.cache;
  if (cache === undefined) return findRoute(router, req);
  const key = cacheKey(router, req);
  if (key === undefined) return findRoute(router, req);
  const hit = cache.get(key) ?? inherited(router, cache, key, req);
  if (hit !== undefined) return hit === NO_MATCH ? undefined : hit;
  const found = findRoute(router, req);
  cache.set(key, found ?? NO_MATCH);
  return found;
}
