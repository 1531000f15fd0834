/**
 * Compiles routes and services into the structures `match` walks: once per config version.
 *
 * Every (split) route gets a rank, its position in Kong's priority order. Routes are then
 * indexed by host (plain hosts in a Map, routes with a wildcard host in one bucket, routes
 * without hosts in another) and, inside each bucket, plain paths by their exact prefix string
 * with the distinct prefix lengths kept sorted. Matching asks each candidate list for its
 * best-ranked full match and keeps the lowest rank, so the index never changes which route wins.
 */

import { LayeredMap } from '@turnpike/shared/sync';
import type { HostPattern } from './host.ts';
import { EMPTY_INDEX, IndexDraft } from './index-draft.ts';
import { MatchCache } from './match-cache.ts';
import { compareEntries, prepareRoute } from './prepare.ts';
import type { Priority } from './priority.ts';
import { RankedOrder } from './ranked-order.ts';
import {
  type CompileOptions,
  DEFAULT_ROUTER_FLAVOR,
  type RouteConfig,
  type RouterFlavor,
  type RouterProblem,
  type ServiceConfig,
} from './types.ts';

export { regexLiteralPrefix } from './prepare.ts';

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
  /** Its place in Kong's order: lower is tried first. Not dense: a patch inserts between two. */
  readonly rank: number;
  readonly priority: Priority;
  /** The path group's position in its route (the last tie-break). */
  readonly group: number;
  readonly route: RouteConfig;
  readonly service: ServiceConfig | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly hosts: readonly HostPattern[] | undefined;
  readonly snis: readonly HostPattern[] | undefined;
  readonly headers: readonly CompiledHeader[] | undefined;
  readonly paths: readonly CompiledPath[] | undefined;
  readonly stripPath: boolean;
  /** The route's path_handling with the traditional flavor; always v0 with traditional_compatible. */
  readonly pathHandling: 'v0' | 'v1';
  readonly preserveHost: boolean;
  /** The service path, "/" when unset (the base of the upstream path). */
  readonly servicePath: string;
  /** The Host header the service gets without preserve_host. */
  readonly serviceHost: string | undefined;
  /** Set when the route takes https but not http. */
  readonly httpsRedirectStatus: number | undefined;
  /** Whether the route takes gRPC: `grpc` (grpc, with or without grpcs), `grpcs` (grpcs only), or not. */
  readonly grpc: GrpcRoute;
}

/** A route's gRPC protocols, as Kong's runloop checks them (kong/runloop/handler.lua, access). */
export type GrpcRoute = 'none' | 'grpc' | 'grpcs';

export interface RouteBucket {
  /** Routes with no paths, or regex paths without a literal prefix, by rank. */
  readonly unindexed: readonly CompiledRoute[];
  /** Plain route path or regex literal prefix → routes having it, by rank. */
  readonly byPrefix: LayeredMap<string, readonly CompiledRoute[]>;
  /** How many keys of byPrefix have each length (kept for patches). */
  readonly lengthCounts: ReadonlyMap<number, number>;
  /** The distinct keys' lengths of byPrefix, ascending. */
  readonly prefixLengths: readonly number[];
}

export interface RouterIndex {
  readonly byHost: LayeredMap<string, RouteBucket>;
  readonly wildcardHosts: RouteBucket;
  readonly anyHost: RouteBucket;
  /** Lowercase header names some route matches on: they take part in the cache key. */
  readonly headerNames: readonly string[];
  /** How many compiled routes match on each header name (kept for patches). */
  readonly headerCounts: ReadonlyMap<string, number>;
}

/** What a patch (patch.ts) builds on; `match` never reads it. */
export interface RouterState {
  /** Every compiled route, by rank (copy-on-write chunks: ranked-order.ts). */
  readonly order: RankedOrder;
  /** Route id → its compiled (split) routes. */
  readonly byRoute: LayeredMap<string, readonly CompiledRoute[]>;
  readonly cacheSize: number;
}

export { NO_MATCH } from './match-cache.ts';

/** What a patch changed: the cache entries inherited from the previous version are checked against it. */
export interface RouterChange {
  /** Ids of the routes the patch removed or rebuilt. */
  readonly routes: ReadonlySet<string>;
  /** Their compiled (split) routes in this version. */
  readonly added: readonly CompiledRoute[];
}

export interface Router {
  readonly flavor: RouterFlavor;
  /** Number of compiled (split) routes. */
  readonly size: number;
  /** Routes left out, with the reason; the caller logs them. */
  readonly problems: readonly RouterProblem[];
  readonly index: RouterIndex;
  readonly cache: MatchCache | undefined;
  /** Set on a patched Router whose cache inherited the previous version's entries. */
  readonly changed?: RouterChange;
  readonly state: RouterState;
}

export const DEFAULT_CACHE_SIZE = 5000;

/** Ranks of the full compile are spaced so that a patch can insert between two of them. */
export const RANK_STEP = 1024;

export function compileRouter(
  routes: readonly RouteConfig[],
  services: readonly ServiceConfig[] | ReadonlyMap<string, ServiceConfig>,
  options: CompileOptions = {},
): Router {
  const serviceMap: ReadonlyMap<string, ServiceConfig> = Array.isArray(services)
    ? new Map((services as readonly ServiceConfig[]).map((s) => [s.id, s]))
    : (services as ReadonlyMap<string, ServiceConfig>);
  const problems: RouterProblem[] = [];
  const flavor = options.flavor ?? DEFAULT_ROUTER_FLAVOR;
  const pending = routes.flatMap((route) => prepareRoute(route, serviceMap, problems, flavor));
  pending.sort(compareEntries);

  const draft = new IndexDraft(EMPTY_INDEX);
  const order: CompiledRoute[] = [];
  const byRoute = new Map<string, CompiledRoute[]>();
  pending.forEach((p, i) => {
    const compiled = p.build(i * RANK_STEP);
    order.push(compiled);
    const own = byRoute.get(p.route.id);
    if (own === undefined) byRoute.set(p.route.id, [compiled]);
    else own.push(compiled);
    draft.add(compiled);
  });
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  return {
    flavor,
    size: order.length,
    problems,
    index: draft.seal(),
    cache: newMatchCache(cacheSize),
    state: { order: RankedOrder.of(order), byRoute: LayeredMap.of(byRoute), cacheSize },
  };
}

/** An empty match cache (undefined when disabled): each Router starts with its own. */
export function newMatchCache(size: number): Router['cache'] {
  return size > 0 ? new MatchCache(size) : undefined;
}
