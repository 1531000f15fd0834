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
 * regex_priority 0, path_handling `v0`, https_redirect_status_code 426). Empty arrays mean
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

/** A Service as the router reads it. */
export type ServiceConfig = Pick<SyncedService, 'id' | 'protocol' | 'host' | 'port'> &
  OptionalFields<SyncedService, 'name' | 'path'>;

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
}

/**
 * Kong's `uri_captures`: the regex path's groups by number ("0" is the whole match) and by name.
 * Groups that did not take part in the match are absent.
 */
export type UriCaptures = { readonly [group: string]: string };

export interface Match {
  /** The route as configured (not one of its per-path splits). */
  readonly route: RouteConfig;
  /** Undefined for a serviceless route. */
  readonly service: ServiceConfig | undefined;
  /**
   * Set when the route accepts https but not http and the request came over http: answer with
   * this status instead of proxying (426 "Please use HTTPS protocol", or a redirect to https).
   */
  readonly redirectStatus: number | undefined;
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
}
