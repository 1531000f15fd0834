/**
 * Kong's upstreams and targets as the data plane receives them (the shared schema's entity
 * types, `@turnpike/shared/schema`, narrowed to what the balancer reads), and the compiled
 * settings a balancer works from.
 */

import type { Lenient, OptionalFields, SyncedEntity, Upstream } from '@turnpike/shared/schema';

type SyncedUpstream = SyncedEntity<'upstreams'>;
type SyncedTarget = SyncedEntity<'targets'>;

export type Algorithm = NonNullable<Upstream['algorithm']>;
export type HashOn = NonNullable<Upstream['hash_on']>;

/** An upstream's `healthchecks`: any part may be left out, the schema's defaults apply. */
export type HealthchecksConfig = Lenient<Upstream['healthchecks']>;
export type ActiveHealthcheckConfig = NonNullable<HealthchecksConfig['active']>;
export type PassiveHealthcheckConfig = NonNullable<HealthchecksConfig['passive']>;

/** An Upstream entity; fields not listed (tags, client_certificate…) are not read by the balancer. */
export type UpstreamConfig = Pick<SyncedUpstream, 'id' | 'name'> &
  OptionalFields<
    SyncedUpstream,
    | 'algorithm'
    | 'hash_on'
    | 'hash_fallback'
    | 'hash_on_header'
    | 'hash_fallback_header'
    | 'hash_on_cookie'
    | 'hash_on_cookie_path'
    | 'hash_on_query_arg'
    | 'hash_fallback_query_arg'
    | 'hash_on_uri_capture'
    | 'hash_fallback_uri_capture'
    | 'slots'
    | 'healthchecks'
    | 'host_header'
  >;

/** A Target entity: `host:port` (Kong's DAO always stores the port) with a weight. */
export type TargetConfig = Pick<SyncedTarget, 'id' | 'target' | 'upstream'> &
  OptionalFields<SyncedTarget, 'weight' | 'created_at' | 'updated_at' | 'tags'>;

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
  readonly type: 'http' | 'https' | 'tcp' | 'grpc' | 'grpcs';
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
