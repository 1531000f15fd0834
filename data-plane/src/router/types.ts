/**
 * The router's inputs and outputs. Routes and services are the shared schema's entity types
 * (`@turnpike/shared/schema`), narrowed to the fields the router reads.
 */

import type { OptionalFields, SyncedEntity } from '@turnpike/shared/schema';

type SyncedRoute = SyncedEntity<'routes'>;
type SyncedService = SyncedEntity<'services'>;

/**
 * A Route as the router reads it. Every field but `id` may be absent or null: the router
 * applies Kong's defaults (protocols `['http', 'https']`, strip_path on, preserve_host off,
 * regex_priority 0, path_handling `v0`, https_redirect_status_code 426; path_handling counts
 * only with the traditional flavor). Empty arrays mean
 * "not set"; routes with only stream protocols are ignored by this HTTP router; `sources` and
 * `destinations` are accepted but never matched on; `created_at` (Unix seconds) breaks
 * priority ties, older first; a header value starting with `~*` is a case-insensitive regex.
 */
export type RouteConfig = Pick<SyncedRoute, 'id'> &
  OptionalFields<
    SyncedRoute,
    | 'name'
    | 'protocols'
    | 'methods'
    | 'hosts'
    | 'paths'
    | 'headers'
    | 'snis'
    | 'sources'
    | 'destinations'
    | 'regex_priority'
    | 'strip_path'
    | 'preserve_host'
    | 'path_handling'
    | 'https_redirect_status_code'
    | 'service'
    | 'request_buffering'
    | 'created_at'
  >;

/** A Service as the router reads it; the routes of one with `enabled: false` are left out, as Kong does. */
export type ServiceConfig = Pick<SyncedService, 'id' | 'protocol' | 'host' | 'port'> &
  OptionalFields<SyncedService, 'name' | 'path' | 'enabled'>;

/**
 * Kong's `router_flavor` values Turnpike implements (the configuration refuses `expressions`).
 * Both match with traditional_compatible's rules (priority.ts, host.ts); they differ where Kong
 * 3's two routers differ in what a user sees:
 * - `path_handling`: traditional_compatible applies v0 whatever the route says (Kong 3's atc.lua
 *   calls get_upstream_uri_v0 only); traditional applies v1 too (traditional.lua).
 * - a route host's `:port` against a Host header without one: traditional_compatible compares it
 *   with the port the client connected to (transform.lua `net.dst.port`, fields.lua); traditional
 *   with the scheme's default port, 80 or 443 (traditional.lua `split_port`).
 */
export type RouterFlavor = 'traditional_compatible' | 'traditional';

export const DEFAULT_ROUTER_FLAVOR: RouterFlavor = 'traditional_compatible';

/** Request header values by lowercase name, as node's `IncomingMessage.headers` holds them. */
export type HeaderValue = string | readonly string[] | undefined;
export type HeaderLookup = Readonly<Record<string, HeaderValue>> | ((lowercaseName: string) => HeaderValue);

/** What the router needs to know about a request. */
export interface RequestKey {
  readonly method: string;
  readonly scheme: 'http' | 'https';
  /** The Host header as received; it may carry a port. */
  readonly host: string | undefined;
  /** The raw request-target path, without the query string, not yet normalised. */
  readonly path: string;
  readonly headers: HeaderLookup;
  /** TLS server name, for https requests. */
  readonly sni?: string | undefined;
  /**
   * The port the client connected to (the listener's): with traditional_compatible, the port a
   * route host's `:port` is compared with when the Host header has none. Absent: the scheme's default.
   */
  readonly localPort?: number | undefined;
}

/**
 * Kong's `uri_captures`: the regex path's groups by number ("0" is the whole match) and by name.
 * Groups that did not take part in the match are absent.
 */
export type UriCaptures = { readonly [group: string]: string };

export interface Match {
  /** The route as configured (not one of its per-path splits). */
  readonly route: RouteConfig;
  /** Undefined for a route without a service: Kong answers 503 `no Service found with those values`. */
  readonly service: ServiceConfig | undefined;
  /**
   * Set when the route accepts https but not http and the request came over http: answer with
   * this status instead of proxying (426 "Please use HTTPS protocol", or a redirect to https).
   */
  readonly redirectStatus: number | undefined;
  /**
   * The route's gRPC protocols: `grpc` (it takes grpc, and grpcs too when listed), `grpcs` (only
   * grpcs: a plaintext gRPC request is refused), `none` (an HTTP route).
   */
  readonly grpc: 'none' | 'grpc' | 'grpcs';
  /** The normalised request path that was matched. */
  readonly path: string;
  /** The part of the path stripped by strip_path (Kong's `match_t.prefix`), else undefined. */
  readonly prefix: string | undefined;
  /** The path to send upstream, percent-encoded where needed; append the query string as received. */
  readonly upstreamPath: string;
  /**
   * The upstream Host header: the request's Host with preserve_host, else the service host (with
   * its port when not the protocol's default). When the service host names an Upstream, the
   * balancer replaces it with the target's.
   */
  readonly upstreamHost: string | undefined;
  readonly uriCaptures: UriCaptures | undefined;
}

/** A route the compiler could not use, and why; the caller logs these. */
export interface RouterProblem {
  readonly routeId: string;
  readonly message: string;
}

export interface CompileOptions {
  /** Entries in the match cache (hits and misses); 0 disables it. Kong's default is 5000. */
  readonly cacheSize?: number;
  /** Kong's router_flavor; default traditional_compatible. */
  readonly flavor?: RouterFlavor;
}
