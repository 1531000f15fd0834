/**
 * response-ratelimiting (Kong 3.10 kong/plugins/response-ratelimiting): limits the service spends.
 *
 * - access: reads each named limit's usage; tells the service what is left,
 *   `X-RateLimit-Remaining-<name>` (the least over its periods); with `block_on_first_violation`
 *   a limit already at 0 refuses the request (429, "API rate limit exceeded for '<name>'").
 * - header: the service says what this response costs in `header_name` (`x-kong-limit:
 *   video=1, image=2`; repeated headers combine); the client gets `X-RateLimit-Limit-<name>-<period>`
 *   and `X-RateLimit-Remaining-<name>-<period>` (unless `hide_client_headers`), never the cost
 *   header itself; a response spending a limit already exhausted becomes a 429 without a body.
 * - log: counts the costs (not for that 429), in this process or in Redis (policies.ts).
 *
 * Redis unreachable: as rate-limiting, `fault_tolerant` lets the request through unlimited and
 * logs; otherwise the request fails with Kong's 500.
 */
import {
  definePluginHandler,
  ORDERED_PERIODS,
  type PluginContext,
  type PluginHandler,
} from '@turnpike/plugin-sdk';
import { type CompiledLimit, EMPTY_UUID, LocalPolicy, RedisPolicy, type Scope } from './policies.ts';
import type { ResponseRateLimitingConfig } from './schema.ts';

const STATE = 'response-ratelimiting';

interface State {
  readonly scope: Scope;
  readonly limits: readonly CompiledLimit[];
  /** Remaining per limit per period (limit - usage), as `limits`. */
  readonly remaining: readonly number[][];
  increments: Map<string, number> | undefined;
  stopped: boolean;
}

const compiled = new WeakMap<object, readonly CompiledLimit[]>();

/** conf.limits as arrays, once per config object. */
export function compileLimits(conf: ResponseRateLimitingConfig): readonly CompiledLimit[] {
  let out = compiled.get(conf);
  if (out === undefined) {
    out = Object.entries(conf.limits ?? {}).map(([name, record]) => {
      const r = record as Record<string, unknown>;
      const periods = ORDERED_PERIODS.filter((p) => typeof r[p] === 'number');
      return { name, periods, limits: periods.map((p) => r[p] as number) };
    });
    compiled.set(conf, out);
  }
  return out;
}

/** Kong's get_identifier: consumer (or its credential), credential, else the client address. */
function identifierOf(ctx: PluginContext, conf: ResponseRateLimitingConfig): string {
  let id: string | undefined;
  if (conf.limit_by === 'consumer') id = ctx.consumer?.id ?? ctx.credential?.id;
  else if (conf.limit_by === 'credential') id = ctx.credential?.id;
  return id ?? ctx.request.clientIp;
}

const INTEGER = /^[+-]?\d+$/;

/** Kong's parse_header: `name=N` pairs, comma-separated; only configured names, only integers. */
export function parseIncrements(
  value: string | undefined,
  limits: readonly CompiledLimit[],
): Map<string, number> {
  const out = new Map<string, number>();
  if (value === undefined) return out;
  for (const part of value.split(',')) {
    const pieces = part.split('=');
    if (pieces.length !== 2) continue;
    const name = pieces[0]!.trim();
    if (!limits.some((l) => l.name === name)) continue;
    const n = pieces[1]!.trim();
    // Lua's tonumber(s, 10): digits only; anything else is nil (the name counts nothing).
    if (INTEGER.test(n)) out.set(name, Number.parseInt(n, 10));
    else out.delete(name);
  }
  return out;
}

export interface ResponseRateLimitingOptions {
  readonly local?: LocalPolicy;
  readonly redis?: RedisPolicy;
  readonly now?: () => number;
}

/** An instance as its phases get it: the config, its limits compiled, and its Kong scope. */
export type ResponseRateLimitingInstance = ResponseRateLimitingConfig & {
  readonly compiled: readonly CompiledLimit[];
  /** The plugin's route and service (Kong's conf.route_id / service_id), EMPTY_UUID for none. */
  readonly routeId: string;
  readonly serviceId: string;
};

export function createResponseRateLimitingHandler(options: ResponseRateLimitingOptions = {}): PluginHandler {
  const local = options.local ?? new LocalPolicy();
  const redis = options.redis ?? new RedisPolicy();
  const now = options.now ?? Date.now;

  /** Sets the upstream headers; refuses on block_on_first_violation. */
  const decide = (ctx: PluginContext, conf: ResponseRateLimitingConfig, state: State) => {
    for (let i = 0; i < state.limits.length; i++) {
      const limit = state.limits[i]!;
      let least: number | undefined;
      for (const remaining of state.remaining[i]!) {
        if (conf.block_on_first_violation && remaining === 0) {
          ctx.response.exit(429, { message: `API rate limit exceeded for '${limit.name}'` });
          return;
        }
        if (least === undefined || remaining < least) least = remaining;
      }
      ctx.setUpstreamHeader(`X-RateLimit-Remaining-${limit.name}`, String(least));
    }
    ctx.shared.set(STATE, state);
  };

  const failed = (ctx: PluginContext, conf: ResponseRateLimitingConfig, err: unknown) => {
    if (conf.fault_tolerant === false) throw err;
    ctx.log.error({ err: (err as Error).message }, 'failed to get usage');
  };

  const remainingOf = (limits: readonly CompiledLimit[], usage: number[][]) =>
    limits.map((l, i) => l.limits.map((limit, j) => limit - usage[i]![j]!));

  const redisAccess = async (ctx: PluginContext, conf: ResponseRateLimitingConfig, state: State) => {
    let usage: number[][];
    try {
      usage = await redis.usage(conf, state.scope, state.limits, ctx.log);
    } catch (err) {
      failed(ctx, conf, err);
      return;
    }
    decide(ctx, conf, { ...state, remaining: remainingOf(state.limits, usage) });
  };

  return definePluginHandler<ResponseRateLimitingConfig, ResponseRateLimitingInstance>({
    name: 'response-ratelimiting',
    version: '3.10.0',
    priority: 900,
    sdkVersion: '1.0.0',

    configure(config, instance) {
      return {
        ...config,
        compiled: compileLimits(config),
        routeId: instance.routeId ?? EMPTY_UUID,
        serviceId: instance.serviceId ?? EMPTY_UUID,
      };
    },

    access(ctx, conf) {
      const limits = conf.compiled;
      if (limits.length === 0) return undefined;
      const scope: Scope = {
        routeId: conf.routeId,
        serviceId: conf.serviceId,
        identifier: identifierOf(ctx, conf),
        nowMs: now(),
      };
      const state: State = { scope, limits, remaining: [], increments: undefined, stopped: false };
      if (conf.policy === 'redis') return redisAccess(ctx, conf, state);
      decide(ctx, conf, { ...state, remaining: remainingOf(limits, local.usage(scope, limits)) });
      return undefined;
    },

    header(ctx, conf) {
      const state = ctx.shared.get(STATE) as State | undefined;
      const limits = conf.compiled;
      const increments = parseIncrements(ctx.response.header(conf.header_name), limits);
      // As Kong: without usage (Redis down, fault_tolerant) the cost header is passed on as is.
      if (state === undefined) return;
      state.increments = increments;
      let stop = false;
      for (let i = 0; i < state.limits.length; i++) {
        const limit = state.limits[i]!;
        const cost = increments.get(limit.name) ?? 0;
        for (let j = 0; j < limit.periods.length; j++) {
          const remaining = state.remaining[i]![j]!;
          if (!conf.hide_client_headers) {
            const suffix = `${limit.name}-${limit.periods[j]}`;
            ctx.setResponseHeader(`X-RateLimit-Limit-${suffix}`, String(limit.limits[j]));
            ctx.setResponseHeader(`X-RateLimit-Remaining-${suffix}`, String(Math.max(0, remaining - cost)));
          }
          if (cost > 0 && remaining <= 0) stop = true;
        }
      }
      ctx.clearResponseHeader(conf.header_name);
      if (stop) {
        state.stopped = true;
        ctx.response.exit(429);
      }
    },

    log(ctx, conf) {
      const state = ctx.shared.get(STATE) as State | undefined;
      if (state === undefined || state.stopped || state.increments === undefined) return;
      for (const limit of state.limits) {
        const value = state.increments.get(limit.name);
        if (value === undefined || value === 0) continue;
        if (conf.policy === 'redis') {
          redis.increment(conf, state.scope, limit.name, value).catch((err: unknown) => {
            ctx.log.error({ err: (err as Error).message }, 'failed to increment counters in Redis');
          });
        } else {
          local.increment(state.scope, limit, value);
        }
      }
    },
  });
}

export const handler = createResponseRateLimitingHandler();
