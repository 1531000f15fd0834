/**
 * rate-limiting (Kong 3.x kong/plugins/rate-limiting/handler.lua). The `redis` policy counts in a
 * Redis server the nodes share (redis-policy.ts; Redis unreachable: `fault_tolerant` lets the
 * request through without headers and logs, else a 500, as Kong). The `local` policy: fixed windows
 * per period, counted once for the node (the SDK's `nodeCounters()`, as Kong counts in its node's
 * shared dict): every proxy worker of a node shares one count. A request is refused when any
 * period's count already reached its limit; only requests let through are counted, as Kong
 * increments after the access phase decided. Check and count are one atomic take in the node's
 * store, so exactly the limit passes, whichever workers serve it (Kong's get-then-increment can
 * let a few more through under concurrency).
 *
 * With one proxy worker the store is in the worker (synchronous, no allocation); with several
 * it lives in the node's main process and a take is answered over IPC, batched per event-loop
 * turn. When that store cannot be reached, `fault_tolerant` (default true) lets the request
 * through without headers, as Kong does when its counters fail; otherwise the request gets a 500.
 */
import {
  type CounterTake,
  definePluginHandler,
  type NodeCounters,
  nodeCounters,
  type PluginContext,
  type PluginHandler,
} from '@turnpike/plugin-sdk';
import { EMPTY_UUID, RedisPolicy, type RedisScope } from './redis-policy.ts';
import { ORDERED_PERIODS, type RateLimitingConfig } from './schema.ts';
import { resetSeconds, windowEnd, windowStart } from './windows.ts';

const PERIOD_COUNT = ORDERED_PERIODS.length;

const X_LIMIT = ORDERED_PERIODS.map((p) => `X-RateLimit-Limit-${p[0]!.toUpperCase()}${p.slice(1)}`);
const X_REMAINING = ORDERED_PERIODS.map((p) => `X-RateLimit-Remaining-${p[0]!.toUpperCase()}${p.slice(1)}`);

/**
 * Kong's get_identifier: who the counters belong to, the client address when the chosen entity
 * is absent (no consumer, no such header, another path…).
 */
export function identifierOf(ctx: PluginContext, conf: RateLimitingConfig): string {
  let id: string | undefined;
  switch (conf.limit_by) {
    case 'consumer':
      id = ctx.consumer?.id ?? ctx.credential?.id;
      break;
    case 'credential':
      id = ctx.credential?.id;
      break;
    case 'service':
      id = ctx.service?.id;
      break;
    case 'header':
      id = conf.header_name == null ? undefined : ctx.request.header(conf.header_name);
      break;
    case 'path':
      id = ctx.request.path === conf.path ? conf.path : undefined;
      break;
  }
  return id ?? ctx.request.clientIp;
}

/**
 * What an instance's phases get: its config, its limits by ORDERED_PERIODS index (NaN = none), and
 * its scope as Kong's redis keys name it (the plugin's route and service, EMPTY_UUID for none).
 */
export type RateLimitingInstance = RateLimitingConfig & {
  readonly limits: Float64Array;
  readonly scope: RedisScope;
};

/** The configured limits by ORDERED_PERIODS index (NaN = none): once per instance (configure). */
export function limitsOf(conf: RateLimitingConfig): Float64Array {
  const limits = new Float64Array(PERIOD_COUNT);
  for (let i = 0; i < PERIOD_COUNT; i++) {
    const v = conf[ORDERED_PERIODS[i]!];
    limits[i] = typeof v === 'number' ? v : Number.NaN;
  }
  return limits;
}

/** The windows of a take (start, end, limit per period), filled per request; a take reads it at once. */
const scratch = new Float64Array(PERIOD_COUNT * 3);
function windowsAt(limits: Float64Array, nowMs: number): Float64Array {
  for (let i = 0; i < PERIOD_COUNT; i++) {
    const limit = limits[i]!;
    scratch[i * 3 + 2] = limit;
    if (Number.isNaN(limit)) continue;
    const period = ORDERED_PERIODS[i]!;
    const start = windowStart(period, nowMs);
    scratch[i * 3] = start;
    scratch[i * 3 + 1] = windowEnd(period, start);
  }
  return scratch;
}

/**
 * Sets Kong's headers: per period X-RateLimit-Limit/Remaining-<Period> (remaining counting this
 * request), and RateLimit-Limit/Remaining/Reset for the period with the least remaining (the
 * longer period on a tie). Returns the reset of that period, for Retry-After.
 */
function setHeaders(
  ctx: PluginContext,
  counts: Float64Array,
  limits: Float64Array,
  stop: number,
  nowMs: number,
): number {
  let chosen = -1;
  let chosenRemaining = 0;
  for (let i = 0; i < PERIOD_COUNT; i++) {
    const limit = limits[i]!;
    if (Number.isNaN(limit)) continue;
    let remaining = limit - counts[i]!;
    if (stop === -1 || stop === i) remaining--;
    remaining = Math.max(0, remaining);
    ctx.setResponseHeader(X_LIMIT[i]!, String(limit));
    ctx.setResponseHeader(X_REMAINING[i]!, String(remaining));
    // Periods ascend, so `<=` picks the longer window on a tie, as Kong does.
    if (chosen === -1 || remaining <= chosenRemaining) {
      chosen = i;
      chosenRemaining = remaining;
    }
  }
  const period = ORDERED_PERIODS[chosen]!;
  const reset = resetSeconds(period, nowMs);
  ctx.setResponseHeader('RateLimit-Limit', String(limits[chosen]!));
  ctx.setResponseHeader('RateLimit-Remaining', String(chosenRemaining));
  ctx.setResponseHeader('RateLimit-Reset', String(reset));
  return reset;
}

/** What the take decided: headers, and the 429 when a period is full. */
function decide(
  ctx: PluginContext,
  conf: RateLimitingConfig,
  limits: Float64Array,
  taken: CounterTake,
  nowMs: number,
): void {
  const stop = taken.refused;
  const reset = conf.hide_client_headers ? undefined : setHeaders(ctx, taken.counts, limits, stop, nowMs);
  if (stop === -1) return;
  // As Kong: Retry-After comes with the other headers, so hide_client_headers hides it too.
  if (reset !== undefined) ctx.setResponseHeader('Retry-After', String(reset));
  ctx.response.exit(conf.error_code ?? 429, {
    message: conf.error_message ?? 'API rate limit exceeded',
  });
}

/** A take answered by the node's main process; an unreachable store is Kong's failed get_usage. */
async function decideShared(
  ctx: PluginContext,
  conf: RateLimitingConfig,
  limits: Float64Array,
  pending: Promise<CounterTake>,
  nowMs: number,
): Promise<void> {
  let taken: CounterTake;
  try {
    taken = await pending;
  } catch (error) {
    if (conf.fault_tolerant === false) throw error;
    ctx.log.error({ err: error }, 'failed to get usage');
    return;
  }
  decide(ctx, conf, limits, taken, nowMs);
}

/** The period whose limit is reached (Kong keeps the last one found), or -1: the redis policy's take. */
function stoppedPeriod(counts: Float64Array, limits: Float64Array): number {
  let stop = -1;
  for (let i = 0; i < PERIOD_COUNT; i++) {
    if (!Number.isNaN(limits[i]!) && limits[i]! - counts[i]! <= 0) stop = i;
  }
  return stop;
}

/** The redis policy: Kong reads (and, realtime, counts) in Redis, then decides as the local policy. */
async function redisAccess(
  ctx: PluginContext,
  conf: RateLimitingInstance,
  redis: RedisPolicy,
  nowMs: number,
) {
  let usage: Awaited<ReturnType<RedisPolicy['usage']>>;
  try {
    usage = await redis.usage(ctx, conf, conf.scope, conf.limits, identifierOf(ctx, conf), nowMs);
  } catch (err) {
    if (conf.fault_tolerant === false) throw err;
    ctx.log.error({ err: (err as Error).message }, 'failed to get usage');
    return;
  }
  const refused = stoppedPeriod(usage.counts, conf.limits);
  decide(ctx, conf, conf.limits, { refused, counts: usage.counts }, nowMs);
  if (refused === -1) redis.increment(ctx, conf, usage);
}

export interface RateLimitingOptions {
  /** The store to count in; default the node's (`nodeCounters()`, looked up at the first request). */
  readonly counters?: NodeCounters;
  /** The redis policy's connections and batching tables (default: the process's connections). */
  readonly redis?: RedisPolicy;
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  readonly now?: () => number;
}

/** A rate-limiting handler over a store and clock; `handler` is the one counting for the node. */
export function createRateLimitingHandler(options: RateLimitingOptions = {}): PluginHandler {
  // Counters live outside ctx.cache on purpose: they are per route and service, not per
  // instance, and a changed instance (a new limit) must not hand every client a fresh allowance.
  let counters = options.counters;
  const now = options.now ?? Date.now;
  const redis = options.redis ?? new RedisPolicy();
  return definePluginHandler<RateLimitingConfig, RateLimitingInstance>({
    name: 'rate-limiting',
    version: '3.10.0',
    priority: 910,
    sdkVersion: '1.0.0',

    configure(config, instance) {
      return {
        ...config,
        limits: limitsOf(config),
        scope: { routeId: instance.routeId ?? EMPTY_UUID, serviceId: instance.serviceId ?? EMPTY_UUID },
      };
    },

    access(ctx, conf) {
      const nowMs = now();
      if (conf.policy === 'redis') return redisAccess(ctx, conf, redis, nowMs);
      const limits = conf.limits;
      // Kong scopes counters by the plugin's route and service; the SDK gives a handler the
      // request's route and service, so counters here are per matched route and service.
      const key = `${ctx.route.id}\u0000${ctx.service?.id ?? ''}\u0000${identifierOf(ctx, conf)}`;
      counters ??= nodeCounters();
      const taken = counters.take(key, windowsAt(limits, nowMs));
      if (taken instanceof Promise) return decideShared(ctx, conf, limits, taken, nowMs);
      decide(ctx, conf, limits, taken, nowMs);
      return undefined;
    },
  });
}

export const handler = createRateLimitingHandler();
