/**
 * The router's inputs and outputs. Field names are Kong's (kong/db/schema/entities/routes.lua and
 * services.lua) so the lead can swap in the shared entity types without renaming anything.
 */

/** A Route as Kong stores it; only the fields the router reads. Empty arrays mean "not set". */
export interface RouteConfig {
  readonly id: string;
  readonly name?: string | null;
  /** Default ['http', 'https']. Routes with only stream protocols are ignored by this HTTP router. */
  readonly protocols?: readonly string[] | null;
  readonly methods?: readonly string[] | null;
  readonly hosts?: readonly string[] | null;
  readonly paths?: readonly string[] | null;
  /** Header name → accepted values; a value starting with `~*` is a case-insensitive regex. */
  readonly headers?: Readonly<Record<string, readonly string[]>> | null;
  readonly snis?: readonly string[] | null;
  /** Stream-only in this router: accepted so a Kong route passes through, never matched on. */
  readonly sources?: readonly unknown[] | null;
  readonly destinations?: readonly unknown[] | null;
  /** Default 0. Orders regex routes that are otherwise equal. */
  readonly regex_priority?: number | null;
  /** Default true. */
  readonly strip_path?: boolean | null;
  /** Default false. */
  readonly preserve_host?: boolean | null;
  /** Default 'v0'. */
  readonly path_handling?: 'v0' | 'v1' | null;
  /** Default 426. */
  readonly https_redirect_status_code?: 426 | 301 | 302 | 307 | 308 | null;
  readonly service?: { readonly id: string } | null;
  /** Default true: the proxy reads the whole request body before calling the service (not a router field). */
  readonly request_buffering?: boolean | null;
  /** Unix seconds; breaks priority ties (older first). */
  readonly created_at?: number | null;
}

/** A Service as Kong stores it; only the fields the router reads. */
export interface ServiceConfig {
  readonly id: string;
  readonly name?: string | null;
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly path?: string | null;
}

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
