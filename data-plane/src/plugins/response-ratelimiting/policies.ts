/**
 * response-ratelimiting's policies (Kong 3.10 kong/plugins/response-ratelimiting/policies): where
 * the counters of each named limit live. Keys are Kong's:
 * `response-ratelimit:<route_id>:<service_id>:<identifier>:<window start ms>:<name>:<period>`.
 *
 * - `local`: in this process (lru-cache: at most 100 000 counters, each dropped when its window
 *   ends), as Kong's shared dict is per node.
 * - `redis`: in the Redis every node shares (the SDK's connections, as rate-limiting's redis
 *   policy): usage is one MGET, an increment one script adding to every period's key and setting
 *   the expiry of a key it creates (Kong: EXISTS per key, then a pipeline of INCRBY + EXPIRE).
 */
import { ORDERED_PERIODS, PERIOD_SECONDS, type Period, windowEnd, windowStart } from '@turnpike/plugin-sdk';
import { type RedisConnections, type RedisScript, sharedRedisConnections } from '@turnpike/plugin-sdk/redis';
import { LRUCache } from 'lru-cache';
import type { ResponseRateLimitingConfig } from './schema.ts';

export const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';

/** One named limit, compiled once per config: its periods (ORDERED_PERIODS order) and limits. */
export interface CompiledLimit {
  readonly name: string;
  readonly periods: readonly Period[];
  readonly limits: readonly number[];
}

/** Where a request's counters are: route, service, identifier, and the clock. */
export interface Scope {
  readonly routeId: string;
  readonly serviceId: string;
  readonly identifier: string;
  readonly nowMs: number;
}

export function counterKey(scope: Scope, name: string, period: Period): string {
  const start = windowStart(period, scope.nowMs);
  return `response-ratelimit:${scope.routeId}:${scope.serviceId}:${scope.identifier}:${start}:${name}:${period}`;
}

/** Adds ARGV[1] to every key; a key it creates expires after ARGV[i + 1] seconds. */
export const INCREMENT_SCRIPT: RedisScript = {
  name: 'turnpikeResponseRateLimitingIncrement',
  lua: `local value = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local exists = redis.call("exists", key)
  redis.call("incrby", key, value)
  if exists == 0 then
    redis.call("expire", key, ARGV[i + 1])
  end
end
return 1`,
};

export class LocalPolicy {
  readonly #counters: LRUCache<string, number>;

  constructor(maxEntries = 100_000) {
    this.#counters = new LRUCache<string, number>({ max: maxEntries, ttlAutopurge: false });
  }

  /** The counts of each limit's periods, in `limits` order. */
  usage(scope: Scope, limits: readonly CompiledLimit[]): number[][] {
    return limits.map((l) => l.periods.map((p) => this.#counters.get(counterKey(scope, l.name, p)) ?? 0));
  }

  /** Adds `value` to the configured periods of `limit` (Kong adds to all six; only these are read). */
  increment(scope: Scope, limit: CompiledLimit, value: number): void {
    for (const period of limit.periods) {
      const key = counterKey(scope, limit.name, period);
      const current = this.#counters.get(key);
      if (current === undefined) {
        const ttl = windowEnd(period, windowStart(period, scope.nowMs)) - scope.nowMs;
        this.#counters.set(key, value, { ttl: Math.max(1, ttl) });
      } else {
        this.#counters.set(key, current + value, { noUpdateTTL: true });
      }
    }
  }
}

export class RedisPolicy {
  readonly #connections: RedisConnections;

  constructor(connections?: RedisConnections) {
    this.#connections = connections ?? sharedRedisConnections();
  }

  async usage(
    conf: ResponseRateLimitingConfig,
    scope: Scope,
    limits: readonly CompiledLimit[],
    log?: Parameters<RedisConnections['get']>[1],
  ): Promise<number[][]> {
    const keys: string[] = [];
    for (const l of limits) for (const p of l.periods) keys.push(counterKey(scope, l.name, p));
    const reply = (await this.#connections.get(conf.redis, log).command('MGET', ...keys)) as (
      | string
      | null
    )[];
    let k = 0;
    return limits.map((l) => l.periods.map(() => Number(reply[k++] ?? 0) || 0));
  }

  increment(conf: ResponseRateLimitingConfig, scope: Scope, name: string, value: number): Promise<unknown> {
    const keys = ORDERED_PERIODS.map((p) => counterKey(scope, name, p));
    const args = [value, ...ORDERED_PERIODS.map((p) => PERIOD_SECONDS[p])];
    return this.#connections.get(conf.redis).evalScript(INCREMENT_SCRIPT, keys, args);
  }
}
