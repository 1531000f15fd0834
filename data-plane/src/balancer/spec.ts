/** Compiles an Upstream entity into the settings a balancer reads per request (Kong's defaults). */

import { HEALTHCHECKS_DEFAULTS } from '@turnpike/shared/schema';
import type {
  ActiveChecks,
  ActiveHealthcheckConfig,
  Algorithm,
  HashOn,
  HashSource,
  HealthLimits,
  PassiveHealthcheckConfig,
  UpstreamConfig,
  UpstreamSpec,
} from './types.ts';

const DEFAULT_SLOTS = 10_000;
const HEALTHY = 1;
const UNHEALTHY = 2;

function count(value: number | null | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** A status lookup table: one byte per code, so classifying a response is one index. */
export function statusTable(healthy: readonly number[], unhealthy: readonly number[]): Uint8Array {
  const table = new Uint8Array(1000);
  for (const status of healthy) if (status >= 0 && status < 1000) table[status] = HEALTHY;
  for (const status of unhealthy) if (status >= 0 && status < 1000) table[status] = UNHEALTHY;
  return table;
}

export const STATUS_HEALTHY = HEALTHY;
export const STATUS_UNHEALTHY = UNHEALTHY;

function activeChecks(config: ActiveHealthcheckConfig | null | undefined): ActiveChecks {
  const d = HEALTHCHECKS_DEFAULTS.active;
  const healthy = config?.healthy ?? d.healthy;
  const unhealthy = config?.unhealthy ?? d.unhealthy;
  const type = config?.type ?? 'http';
  const headers: string[] = [];
  for (const [name, values] of Object.entries(config?.headers ?? {})) {
    for (const value of values) headers.push(name, value);
  }
  const settings = {
    type,
    timeout: count(config?.timeout, d.timeout) * 1000,
    concurrency: Math.max(1, count(config?.concurrency, d.concurrency)),
    httpPath: config?.http_path ?? d.http_path,
    httpsSni: config?.https_sni ?? undefined,
    verifyCertificate: config?.https_verify_certificate ?? d.https_verify_certificate,
    headers,
    healthyInterval: count(healthy.interval, 0) * 1000,
    unhealthyInterval: count(unhealthy.interval, 0) * 1000,
    limits: {
      successes: count(healthy.successes, 0),
      httpFailures: count(unhealthy.http_failures, 0),
      tcpFailures: count(unhealthy.tcp_failures, 0),
      timeouts: count(unhealthy.timeouts, 0),
      statuses: statusTable(
        healthy.http_statuses ?? d.healthy.http_statuses,
        unhealthy.http_statuses ?? d.unhealthy.http_statuses,
      ),
    },
  } as const;
  return { ...settings, fingerprint: JSON.stringify(config ?? null) };
}

function passiveLimits(config: PassiveHealthcheckConfig | null | undefined): HealthLimits {
  const d = HEALTHCHECKS_DEFAULTS.passive;
  const healthy = config?.healthy ?? d.healthy;
  const unhealthy = config?.unhealthy ?? d.unhealthy;
  return {
    successes: count(healthy.successes, 0),
    httpFailures: count(unhealthy.http_failures, 0),
    tcpFailures: count(unhealthy.tcp_failures, 0),
    timeouts: count(unhealthy.timeouts, 0),
    statuses: statusTable(
      healthy.http_statuses ?? d.healthy.http_statuses,
      unhealthy.http_statuses ?? d.unhealthy.http_statuses,
    ),
  };
}

function hashSource(on: HashOn | null | undefined, upstream: UpstreamConfig, fallback: boolean): HashSource {
  const kind = on ?? 'none';
  switch (kind) {
    case 'header':
      return {
        on: kind,
        name: ((fallback ? upstream.hash_fallback_header : upstream.hash_on_header) ?? '').toLowerCase(),
      };
    case 'cookie':
      return { on: kind, name: upstream.hash_on_cookie ?? '' };
    case 'query_arg':
      return {
        on: kind,
        name: (fallback ? upstream.hash_fallback_query_arg : upstream.hash_on_query_arg) ?? '',
      };
    case 'uri_capture':
      return {
        on: kind,
        name: (fallback ? upstream.hash_fallback_uri_capture : upstream.hash_on_uri_capture) ?? '',
      };
    default:
      return { on: kind, name: '' };
  }
}

export function compileUpstreamSpec(upstream: UpstreamConfig): UpstreamSpec {
  const active = activeChecks(upstream.healthchecks?.active);
  const passive = passiveLimits(upstream.healthchecks?.passive);
  const algorithm: Algorithm = upstream.algorithm ?? 'round-robin';
  return {
    id: upstream.id,
    name: upstream.name,
    algorithm,
    hashOn: hashSource(upstream.hash_on, upstream, false),
    hashFallback: hashSource(upstream.hash_fallback, upstream, true),
    cookiePath: upstream.hash_on_cookie_path ?? '/',
    slots: count(upstream.slots, DEFAULT_SLOTS) || DEFAULT_SLOTS,
    hostHeader: upstream.host_header ?? undefined,
    threshold: count(upstream.healthchecks?.threshold, 0),
    active,
    passive,
    usingHealthchecks:
      active.healthyInterval > 0 ||
      active.unhealthyInterval > 0 ||
      passive.tcpFailures > 0 ||
      passive.timeouts > 0 ||
      passive.httpFailures > 0,
  };
}
