/**
 * Kong's upstreams and targets as the data plane receives them (entity JSON, Kong's field names),
 * and the compiled settings a balancer works from.
 */

export type Algorithm = 'round-robin' | 'consistent-hashing' | 'least-connections' | 'latency';
export type HashOn = 'none' | 'consumer' | 'ip' | 'header' | 'cookie' | 'path' | 'query_arg' | 'uri_capture';

export interface ActiveHealthcheckConfig {
  readonly type?: string | null;
  /** Seconds. */
  readonly timeout?: number | null;
  readonly concurrency?: number | null;
  readonly http_path?: string | null;
  readonly https_sni?: string | null;
  readonly https_verify_certificate?: boolean | null;
  readonly headers?: Readonly<Record<string, readonly string[]>> | null;
  readonly healthy?: {
    readonly interval?: number | null;
    readonly http_statuses?: readonly number[] | null;
    readonly successes?: number | null;
  } | null;
  readonly unhealthy?: {
    readonly interval?: number | null;
    readonly http_statuses?: readonly number[] | null;
    readonly tcp_failures?: number | null;
    readonly timeouts?: number | null;
    readonly http_failures?: number | null;
  } | null;
}

export interface PassiveHealthcheckConfig {
  readonly type?: string | null;
  readonly healthy?: {
    readonly http_statuses?: readonly number[] | null;
    readonly successes?: number | null;
  } | null;
  readonly unhealthy?: {
    readonly http_statuses?: readonly number[] | null;
    readonly tcp_failures?: number | null;
    readonly timeouts?: number | null;
    readonly http_failures?: number | null;
  } | null;
}

export interface HealthchecksConfig {
  readonly active?: ActiveHealthcheckConfig | null;
  readonly passive?: PassiveHealthcheckConfig | null;
  /** Percentage of weight that must be available for the upstream to be used at all. */
  readonly threshold?: number | null;
}

/** An Upstream entity; fields not listed (tags, client_certificate…) are ignored by the balancer. */
export interface UpstreamConfig {
  readonly id: string;
  readonly name: string;
  readonly algorithm?: Algorithm | null;
  readonly hash_on?: HashOn | null;
  readonly hash_fallback?: HashOn | null;
  readonly hash_on_header?: string | null;
  readonly hash_fallback_header?: string | null;
  readonly hash_on_cookie?: string | null;
  readonly hash_on_cookie_path?: string | null;
  readonly hash_on_query_arg?: string | null;
  readonly hash_fallback_query_arg?: string | null;
  readonly hash_on_uri_capture?: string | null;
  readonly hash_fallback_uri_capture?: string | null;
  readonly slots?: number | null;
  readonly healthchecks?: HealthchecksConfig | null;
  readonly host_header?: string | null;
}

/** A Target entity: `host:port` (Kong's DAO always stores the port) with a weight. */
export interface TargetConfig {
  readonly id: string;
  readonly target: string;
  readonly weight?: number | null;
  readonly upstream: { readonly id: string };
  readonly created_at?: number | null;
  readonly updated_at?: number | null;
  readonly tags?: readonly string[] | null;
}

/** What one health checker (active or passive) counts; a limit of 0 turns that counter off. */
export interface HealthLimits {
  readonly successes: number;
  readonly httpFailures: number;
  readonly tcpFailures: number;
  readonly timeouts: number;
  /** Indexed by status code: 1 healthy, 2 unhealthy, 0 neither. */
  readonly statuses: Uint8Array;
}

export interface ActiveChecks {
  readonly type: 'http' | 'https' | 'tcp';
  /** Milliseconds. */
  readonly timeout: number;
  readonly concurrency: number;
  readonly httpPath: string;
  readonly httpsSni: string | undefined;
  readonly verifyCertificate: boolean;
  readonly headers: readonly string[];
  /** Milliseconds between probes of healthy / unhealthy peers; 0: not probed in that state. */
  readonly healthyInterval: number;
  readonly unhealthyInterval: number;
  readonly limits: HealthLimits;
  /** Identity of the settings: probes restart only when this changes. */
  readonly fingerprint: string;
}

/** One hash source: what `hash_on` or `hash_fallback` reads, with its parameter. */
export interface HashSource {
  readonly on: HashOn;
  /** Header name (lowercase), cookie name, query argument or capture group. */
  readonly name: string;
}

/** An upstream's settings compiled once per config version. */
export interface UpstreamSpec {
  readonly id: string;
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly hashOn: HashSource;
  readonly hashFallback: HashSource;
  readonly cookiePath: string;
  readonly slots: number;
  readonly hostHeader: string | undefined;
  readonly threshold: number;
  readonly active: ActiveChecks;
  readonly passive: HealthLimits;
  /** Kong's is_upstream_using_healthcheck: an active interval or a passive failure limit is set. */
  readonly usingHealthchecks: boolean;
}
