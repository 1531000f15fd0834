/**
 * Compiles routes and services into the structures `match` walks: once per config version.
 *
 * Every (split) route gets a rank, its position in Kong's priority order. Routes are then
 * indexed by host (plain hosts in a Map, routes with a wildcard host in one bucket, routes
 * without hosts in another) and, inside each bucket, plain paths by their exact prefix string
 * with the distinct prefix lengths kept sorted. Matching asks each candidate list for its
 * best-ranked full match and keeps the lowest rank, so the index never changes which route wins.
 */

import { LRUCache } from 'lru-cache';
import { compileHostPattern, compileSniPattern, HOST_EXACT, type HostPattern } from './host.ts';
import { normalizePath } from './normalize.ts';
import {
  comparePriority,
  compareTies,
  groupPaths,
  type PathGroup,
  type Priority,
  routePriority,
} from './priority.ts';
import type { CompileOptions, Match, RouteConfig, RouterProblem, ServiceConfig } from './types.ts';

export interface CompiledPath {
  /** Undefined for a plain (prefix) path. */
  readonly regex: RegExp | undefined;
  /** The normalised plain path, or the regex path as configured. */
  readonly value: string;
}

export interface CompiledHeader {
  readonly name: string;
  /** Lowercase exact values. */
  readonly exact: ReadonlySet<string>;
  /** `~*` values, case-insensitive and unanchored as Kong evaluates them. */
  readonly patterns: readonly RegExp[];
}

/** One route, or one path group of a route (see priority.ts), ready to test against a request. */
export interface CompiledRoute {
  readonly rank: number;
  readonly route: RouteConfig;
  readonly service: ServiceConfig | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly hosts: readonly HostPattern[] | undefined;
  readonly snis: readonly HostPattern[] | undefined;
  readonly headers: readonly CompiledHeader[] | undefined;
  readonly paths: readonly CompiledPath[] | undefined;
  readonly stripPath: boolean;
  readonly pathHandling: 'v0' | 'v1';
  readonly preserveHost: boolean;
  /** The service path, "/" when unset (the base of the upstream path). */
  readonly servicePath: string;
  /** The Host header the service gets without preserve_host. */
  readonly serviceHost: string | undefined;
  /** Set when the route takes https but not http. */
  readonly httpsRedirectStatus: number | undefined;
}

export interface RouteBucket {
  /** Routes with no paths, or regex paths without a literal prefix, by rank. */
  readonly unindexed: CompiledRoute[];
  /** Plain route path or regex literal prefix → routes having it, by rank. */
  readonly byPrefix: Map<string, CompiledRoute[]>;
  /** The distinct keys' lengths of byPrefix, ascending. */
  prefixLengths: number[];
}

export interface RouterIndex {
  readonly byHost: ReadonlyMap<string, RouteBucket>;
  readonly wildcardHosts: RouteBucket;
  readonly anyHost: RouteBucket;
  /** Lowercase header names some route matches on: they take part in the cache key. */
  readonly headerNames: readonly string[];
}

/** Marks a cached miss (lru-cache cannot hold undefined). */
export const NO_MATCH: unique symbol = Symbol('no route matched');

export interface Router {
  /** Number of compiled (split) routes. */
  readonly size: number;
  /** Routes left out, with the reason; the caller logs them. */
  readonly problems: readonly RouterProblem[];
  readonly index: RouterIndex;
  readonly cache: LRUCache<string, Match | typeof NO_MATCH> | undefined;
}

const HTTP_PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs', 'ws', 'wss']);
const DEFAULT_PROTOCOLS = ['http', 'https'];
const TLS_PROTOCOLS = new Set(['https', 'grpcs', 'wss']);
export const DEFAULT_CACHE_SIZE = 5000;

function nonEmpty<T>(list: readonly T[] | null | undefined): readonly T[] | undefined {
  return list === null || list === undefined || list.length === 0 ? undefined : list;
}

/** Kong's regex path: `~` dropped, anchored with `^` (as compat.lua does), `(?P<n>` for JS. */
function compileRegexPath(path: string): RegExp {
  const source = `^${path.slice(1).replaceAll('(?P<', '(?<')}`;
  try {
    return new RegExp(source, 'u');
  } catch {
    // PCRE-style paths written for the traditional router often use escapes that unicode mode refuses.
    return new RegExp(source);
  }
}

function compileHeaders(headers: RouteConfig['headers']): CompiledHeader[] | undefined {
  if (headers === null || headers === undefined) return undefined;
  const compiled: CompiledHeader[] = [];
  for (const [name, values] of Object.entries(headers)) {
    const exact = new Set<string>();
    const patterns: RegExp[] = [];
    for (const value of values) {
      if (value.startsWith('~*')) patterns.push(new RegExp(value.slice(2), 'i'));
      else exact.add(value.toLowerCase());
    }
    compiled.push({ name: name.toLowerCase(), exact, patterns });
  }
  return compiled.length === 0 ? undefined : compiled;
}

function serviceHostHeader(service: ServiceConfig | undefined): string | undefined {
  if (service === undefined) return undefined;
  const defaultPort = TLS_PROTOCOLS.has(service.protocol) ? 443 : 80;
  return service.port === defaultPort ? service.host : `${service.host}:${service.port}`;
}

interface Pending {
  readonly priority: Priority;
  readonly route: RouteConfig;
  readonly build: (rank: number) => CompiledRoute;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns one route into its path-group sub-routes, or reports why it cannot be used. */
function prepareRoute(
  route: RouteConfig,
  services: ReadonlyMap<string, ServiceConfig>,
  problems: RouterProblem[],
): Pending[] {
  const protocols = nonEmpty(route.protocols) ?? DEFAULT_PROTOCOLS;
  if (!protocols.some((p) => HTTP_PROTOCOLS.has(p))) return []; // a stream route: not ours
  let service: ServiceConfig | undefined;
  if (route.service !== null && route.service !== undefined) {
    service = services.get(route.service.id);
    if (service === undefined) {
      problems.push({ routeId: route.id, message: `service ${route.service.id} not found` });
      return [];
    }
  }
  const methods = nonEmpty(route.methods);
  const hosts = nonEmpty(route.hosts);
  const snis = nonEmpty(route.snis);
  const paths = nonEmpty(route.paths);
  let headers: CompiledHeader[] | undefined;
  try {
    headers = compileHeaders(route.headers);
  } catch (error) {
    problems.push({ routeId: route.id, message: `invalid header regex: ${describe(error)}` });
    return [];
  }
  if (!methods && !hosts && !snis && !paths && !headers) {
    problems.push({ routeId: route.id, message: 'route has none of methods, hosts, headers, paths, snis' });
    return [];
  }
  const shared = {
    route,
    service,
    methods: methods ? new Set(methods.map((m) => m.toUpperCase())) : undefined,
    hosts: hosts?.map(compileHostPattern),
    snis: snis?.map(compileSniPattern),
    headers,
    stripPath: route.strip_path ?? true,
    pathHandling: route.path_handling ?? 'v0',
    preserveHost: route.preserve_host ?? false,
    servicePath: service?.path ?? '/',
    serviceHost: serviceHostHeader(service),
    httpsRedirectStatus:
      protocols.includes('https') && !protocols.includes('http')
        ? (route.https_redirect_status_code ?? 426)
        : undefined,
  } as const;
  if (paths === undefined) {
    return [
      {
        priority: routePriority(route, undefined),
        route,
        build: (rank) => ({ ...shared, rank, paths: undefined }),
      },
    ];
  }
  // Plain paths are normalised like requests are, so `/a//b` or `/caf%C3%A9` can match at all.
  const normalised = paths.map((p) => (p.startsWith('~') ? p : normalizePath(p)));
  const pending: Pending[] = [];
  for (const group of groupPaths(normalised)) {
    let compiled: CompiledPath[];
    try {
      compiled = compilePathGroup(group);
    } catch (error) {
      problems.push({ routeId: route.id, message: `invalid regex path: ${describe(error)}` });
      continue;
    }
    pending.push({
      priority: routePriority(route, group),
      route,
      build: (rank) => ({ ...shared, rank, paths: compiled }),
    });
  }
  return pending;
}

const REGEX_SYNTAX = new Set('\\.[](){}*+?|^$');
const QUANTIFIERS = new Set('?*{');

/**
 * The literal text every match of a regex path must start with ("" when unknown), so regex
 * routes can sit in the prefix index instead of being tried on every request. Conservative: a
 * regex with any `|` gets "" (Kong's `^` only anchors the first alternative).
 */
export function regexLiteralPrefix(path: string): string {
  const source = path.slice(1);
  if (source.includes('|')) return '';
  let end = 0;
  while (end < source.length && !REGEX_SYNTAX.has(source[end]!)) end++;
  // A quantifier makes the character before it optional or repeated.
  if (end < source.length && QUANTIFIERS.has(source[end]!)) end--;
  return end > 0 ? source.slice(0, end) : '';
}

function compilePathGroup(group: PathGroup): CompiledPath[] {
  return group.paths.map((value) => ({ regex: group.regex ? compileRegexPath(value) : undefined, value }));
}

function newBucket(): RouteBucket {
  return { unindexed: [], byPrefix: new Map(), prefixLengths: [] };
}

/** The prefix-index keys of a route: its plain paths, or its regexes' literal prefixes. */
function prefixKeys(route: CompiledRoute): string[] | undefined {
  if (route.paths === undefined) return undefined;
  const keys = route.paths.map((p) => (p.regex === undefined ? p.value : regexLiteralPrefix(p.value)));
  return keys.includes('') ? undefined : keys;
}

function addToBucket(bucket: RouteBucket, route: CompiledRoute): void {
  const keys = prefixKeys(route);
  if (keys === undefined) {
    bucket.unindexed.push(route);
    return;
  }
  for (const value of keys) {
    const list = bucket.byPrefix.get(value);
    if (list === undefined) bucket.byPrefix.set(value, [route]);
    else if (list[list.length - 1] !== route) list.push(route);
  }
}

function sealBucket(bucket: RouteBucket): void {
  bucket.prefixLengths = [...new Set([...bucket.byPrefix.keys()].map((k) => k.length))].sort((a, b) => a - b);
}

export function compileRouter(
  routes: readonly RouteConfig[],
  services: readonly ServiceConfig[] | ReadonlyMap<string, ServiceConfig>,
  options: CompileOptions = {},
): Router {
  const serviceMap: ReadonlyMap<string, ServiceConfig> = Array.isArray(services)
    ? new Map((services as readonly ServiceConfig[]).map((s) => [s.id, s]))
    : (services as ReadonlyMap<string, ServiceConfig>);
  const problems: RouterProblem[] = [];
  const pending = routes.flatMap((route) => prepareRoute(route, serviceMap, problems));
  // Array.prototype.sort is stable: a route's path groups keep their order on a full tie.
  pending.sort((a, b) => comparePriority(a.priority, b.priority) || compareTies(a.route, b.route));

  const byHost = new Map<string, RouteBucket>();
  const wildcardHosts = newBucket();
  const anyHost = newBucket();
  const headerNames = new Set<string>();
  pending.forEach((p, rank) => {
    const compiled = p.build(rank);
    for (const header of compiled.headers ?? []) headerNames.add(header.name);
    if (compiled.hosts === undefined) {
      addToBucket(anyHost, compiled);
      return;
    }
    const plain = new Set(compiled.hosts.filter((h) => h.kind === HOST_EXACT).map((h) => h.value));
    for (const host of plain) {
      let bucket = byHost.get(host);
      if (bucket === undefined) {
        bucket = newBucket();
        byHost.set(host, bucket);
      }
      addToBucket(bucket, compiled);
    }
    if (compiled.hosts.some((h) => h.kind !== HOST_EXACT)) addToBucket(wildcardHosts, compiled);
  });
  for (const bucket of byHost.values()) sealBucket(bucket);
  sealBucket(wildcardHosts);
  sealBucket(anyHost);

  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  return {
    size: pending.length,
    problems,
    index: { byHost, wildcardHosts, anyHost, headerNames: [...headerNames].sort() },
    cache: cacheSize > 0 ? new LRUCache<string, Match | typeof NO_MATCH>({ max: cacheSize }) : undefined,
  };
}
