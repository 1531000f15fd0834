/**
 * rate-limiting (Kong 3.x kong/plugins/rate-limiting/handler.lua): fixed windows per period. The
 * `local` policy counts in this process (see counters.ts), the `redis` policy in a Redis server
 * the nodes share (redis-policy.ts). A request is refused when any period's count already reached
 * its limit; with `local` only requests let through are counted, as Kong increments after the
 * access phase decided. When Redis cannot answer, `fault_tolerant` (the default) lets the request
 * through without rate-limit headers and logs the error, as Kong; otherwise the request fails (500).
 */
import { definePluginHandler, type PluginContext, type PluginHandler } from '@turnpike/plugin-sdk';
import { LocalCounters, PERIOD_COUNT } from './counters.ts';
import { RedisPolicy } from './redis-policy.ts';
import { ORDERED_PERIODS, type RateLimitingConfig } from './schema.ts';
import { resetSeconds } from './windows.ts';

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

/** The configured limits by ORDERED_PERIODS index (NaN = none), computed once per config object. */
const limitsByConf = new WeakMap<RateLimitingConfig, Float64Array>();
function limitsOf(conf: RateLimitingConfig): Float64Array {
  let limits = limitsByConf.get(conf);
  if (limits === undefined) {
    limits = new Float64Array(PERIOD_COUNT);
    for (let i = 0; i < PERIOD_COUNT; i++) {
      const v = conf[ORDERED_PERIODS[i]!];
      limits[i] = typeof v === 'number' ? v : Number.NaN;
    }
    limitsByConf.set(conf, limits);
  }
  return limits;
}

/** The period whose limit is reached (Kong keeps the last one found), or -1. */
function stoppedPeriod(counts: Float64Array, limits: Float64Array): number {
  let stop = -1;
  for (let i = 0; i < PERIOD_COUNT; i++) {
    if (!Number.isNaN(limits[i]!) && limits[i]! - counts[i]! <= 0) stop = i;
  }
  return stop;
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

export interface RateLimitingOptions {
  readonly counters?: LocalCounters;
  /** The redis policy's connections and batching tables (default: the process's connections). */
  readonly redis?: RedisPolicy;
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  readonly now?: () => number;
}

/** A rate-limiting handler over its own counters and clock; `handler` is the process-wide one. */
export function createRateLimitingHandler(options: RateLimitingOptions = {}): PluginHandler {
  // Counters live outside ctx.cache on purpose: that cache is emptied on every new
  // configuration version, and a config push must not hand every client a fresh allowance.
  const counters = options.counters ?? new LocalCounters();
  const now = options.now ?? Date.now;
  const redis = options.redis ?? new RedisPolicy();

  /** Sets the headers and refuses the request when a period is exhausted; true when refused. */
  const decide = (ctx: PluginContext, conf: RateLimitingConfig, counts: Float64Array, nowMs: number) => {
    const limits = limitsOf(conf);
    const stop = stoppedPeriod(counts, limits);
    const reset = conf.hide_client_headers ? undefined : setHeaders(ctx, counts, limits, stop, nowMs);
    if (stop === -1) return false;
    // As Kong: Retry-After comes with the other headers, so hide_client_headers hides it too.
    if (reset !== undefined) ctx.setResponseHeader('Retry-After', String(reset));
    ctx.response.exit(conf.error_code ?? 429, {
      message: conf.error_message ?? 'API rate limit exceeded',
    });
    return true;
  };

  const redisAccess = async (ctx: PluginContext, conf: RateLimitingConfig, nowMs: number) => {
    let usage: Awaited<ReturnType<RedisPolicy['usage']>>;
    try {
      usage = await redis.usage(ctx, conf, limitsOf(conf), identifierOf(ctx, conf), nowMs);
    } catch (err) {
      if (conf.fault_tolerant === false) throw err;
      ctx.log.error({ err: (err as Error).message }, 'failed to get usage');
      return;
    }
    if (!decide(ctx, conf, usage.counts, nowMs)) redis.increment(ctx, conf, usage);
  };

  return definePluginHandler<RateLimitingConfig>({
    name: 'rate-limiting',
    version: '3.9.0',
    priority: 910,
    sdkVersion: '1.0.0',

    access(ctx, conf) {
      const nowMs = now();
      if (conf.policy === 'redis') return redisAccess(ctx, conf, nowMs);
      const limits = limitsOf(conf);
      // Kong scopes counters by the plugin's route and service; the SDK gives a handler the
      // request's route and service, so counters here are per matched route and service.
      const key = `${ctx.route.id}\u0000${ctx.service?.id ?? ''}\u0000${identifierOf(ctx, conf)}`;
      const entry = counters.entry(key, limits, nowMs);
      if (!decide(ctx, conf, entry.counts, nowMs)) counters.increment(entry, limits);
      return undefined;
    },
  });
}

export const handler = createRateLimitingHandler();
