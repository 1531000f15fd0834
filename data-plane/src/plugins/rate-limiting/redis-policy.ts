/**
 * rate-limiting's `redis` policy (Kong 3.10 kong/plugins/rate-limiting/policies/init.lua, "redis"):
 * counters in a Redis server every node shares, so a limit holds across data planes.
 *
 * - Keys are Kong's: `ratelimit:<route_id>:<service_id>:<identifier>:<window start ms>:<period>`,
 *   the route and service being the plugin's own (EMPTY_UUID when it has none: a global plugin
 *   counts across every route, as in Kong), each expiring after its period (Kong's EXPIRATION:
 *   months 30 days, years 365).
 * - `sync_rate = -1` (realtime): one round trip per request increments every configured period
 *   and returns the counts before it (Kong's `incr` + `expire` script, one EVAL per period there,
 *   one for all periods here). As in Kong, a refused request is counted too.
 * - `sync_rate > 0`: Kong's batching. The first request of a window reads (and counts) in Redis;
 *   later ones count in this process, and at most every `sync_rate` seconds the deltas are added
 *   in one pipeline (`incrby` + `expireat`), after which the next request reads Redis again.
 *   A node may then let through up to what it counted since its last sync beyond the limit.
 *
 * Where Kong's script sets `expireat` from a millisecond window start plus seconds (so a synced
 * key outlives its window by decades), the window's real end in seconds is used.
 */
import type { PluginContext } from '@turnpike/plugin-sdk';
import { type RedisConnections, type RedisScript, sharedRedisConnections } from '@turnpike/plugin-sdk/redis';
import { ORDERED_PERIODS, type RateLimitingConfig, SYNC_RATE_REALTIME } from './schema.ts';
import { PERIOD_SECONDS, windowStart } from './windows.ts';

const PERIOD_COUNT = ORDERED_PERIODS.length;

/** Kong's EMPTY_UUID: the route or service of a counter that has none. */
export const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';

/** Counts and returns, per key, the count before this request; a new key expires after ARGV[i] s. */
export const USAGE_SCRIPT: RedisScript = {
  name: 'turnpikeRateLimitingUsage',
  lua: `local out = {}
for i, key in ipairs(KEYS) do
  local result_incr = redis.call("incr", key)
  if result_incr == 1 then
    redis.call("expire", key, ARGV[i])
  end
  out[i] = result_incr - 1
end
return out`,
};

/** Kong's sync_to_redis script: adds a delta, setting the expiry of a key it creates. */
export const SYNC_SCRIPT: RedisScript = {
  name: 'turnpikeRateLimitingSync',
  lua: `local key, value, expiration = KEYS[1], tonumber(ARGV[1]), ARGV[2]
local exists = redis.call("exists", key)
redis.call("incrby", key, value)
if not exists or exists == 0 then
  redis.call("expireat", key, expiration)
end
return 1`,
};

export type RedisConf = RateLimitingConfig['redis'];

/** The plugin's route and service (Kong's conf.route_id / conf.service_id), EMPTY_UUID for none. */
export interface RedisScope {
  readonly routeId: string;
  readonly serviceId: string;
}

/** Kong's get_db_key: which batching tables a counter belongs to. */
function dbKeyOf(redis: RedisConf): string {
  return `${redis.host}:${redis.port};${redis.database}`;
}

/** Kong's get_local_key. */
export function counterKey(
  routeId: string,
  serviceId: string,
  identifier: string,
  period: string,
  start: number,
): string {
  return `ratelimit:${routeId}:${serviceId}:${identifier}:${start}:${period}`;
}

interface Batched {
  usage: number;
  delta: number;
  /** Seconds since the epoch: when the window ends (the key's expireat). */
  readonly expireAt: number;
}

export interface Usage {
  readonly counts: Float64Array;
  readonly batched: readonly Batched[];
}

interface DbTables {
  readonly counters: Map<string, Batched>;
  readonly redis: RedisConf;
  pending: boolean;
}

export interface RedisPolicyOptions {
  readonly connections?: RedisConnections;
}

/** The policy of one handler: its connections and, for sync_rate > 0, its batching tables. */
export class RedisPolicy {
  readonly #connections: RedisConnections;
  readonly #tables = new Map<string, DbTables>();

  constructor(options: RedisPolicyOptions = {}) {
    this.#connections = options.connections ?? sharedRedisConnections();
  }

  /**
   * The counts before this request of the periods `limits` sets (NaN elsewhere), by
   * ORDERED_PERIODS index. Realtime, Redis counted the request; batching, `increment` counts it
   * once the request is let through (`batched`). Rejects when Redis cannot answer.
   */
  async usage(
    ctx: PluginContext,
    conf: RateLimitingConfig,
    scope: RedisScope,
    limits: Float64Array,
    identifier: string,
    nowMs: number,
  ): Promise<Usage> {
    const { routeId, serviceId } = scope;
    const counts = new Float64Array(PERIOD_COUNT).fill(Number.NaN);
    const keys: string[] = [];
    const expirations: number[] = [];
    const indexes: number[] = [];
    const batching = conf.sync_rate !== SYNC_RATE_REALTIME;
    const tables = batching ? this.#tablesOf(conf.redis) : undefined;
    const batched: Batched[] = [];
    for (let i = 0; i < PERIOD_COUNT; i++) {
      if (Number.isNaN(limits[i]!)) continue;
      const period = ORDERED_PERIODS[i]!;
      const start = windowStart(period, nowMs);
      const key = counterKey(routeId, serviceId, identifier, period, start);
      const cached = tables?.counters.get(key);
      if (cached !== undefined) {
        counts[i] = cached.usage + cached.delta;
        batched.push(cached);
        continue;
      }
      keys.push(key);
      expirations.push(PERIOD_SECONDS[period]);
      indexes.push(i);
    }
    if (keys.length === 0) return { counts, batched };
    const connection = this.#connections.get(conf.redis, ctx.log);
    const reply = (await connection.evalScript(USAGE_SCRIPT, keys, expirations)) as number[];
    for (let j = 0; j < indexes.length; j++) {
      const i = indexes[j]!;
      const count = Number(reply[j] ?? 0);
      counts[i] = count;
      if (tables !== undefined) {
        const period = ORDERED_PERIODS[i]!;
        const expireAt = Math.floor(windowStart(period, nowMs) / 1000) + PERIOD_SECONDS[period];
        // Redis counted this request already: Kong's delta of -1, back to 0 once it is let through.
        const entry = { usage: count + 1, delta: -1, expireAt };
        tables.counters.set(keys[j]!, entry);
        batched.push(entry);
      }
    }
    return { counts, batched };
  }

  /** Counts a request let through (batching only: realtime, `usage` counted it) and schedules a sync. */
  increment(ctx: PluginContext, conf: RateLimitingConfig, usage: Usage): void {
    if (usage.batched.length === 0) return;
    for (const entry of usage.batched) entry.delta++;
    this.#scheduleSync(ctx, conf, this.#tablesOf(conf.redis));
  }

  #tablesOf(redis: RedisConf): DbTables {
    const dbKey = dbKeyOf(redis);
    let tables = this.#tables.get(dbKey);
    if (tables === undefined) {
      tables = { counters: new Map(), redis, pending: false };
      this.#tables.set(dbKey, tables);
    }
    return tables;
  }

  /** Kong's rate_limited_sync: one pending flush per Redis database, `sync_rate` seconds out. */
  #scheduleSync(ctx: PluginContext, conf: RateLimitingConfig, tables: DbTables): void {
    if (tables.pending) return;
    tables.pending = true;
    const log = ctx.log;
    const timer = setTimeout(() => {
      this.#sync(tables).then(
        () => {
          tables.pending = false;
        },
        (err: unknown) => {
          tables.pending = false;
          log.error({ err: (err as Error).message }, '[rate-limiting] failed to sync counters to Redis');
        },
      );
    }, conf.sync_rate * 1000);
    timer.unref();
  }

  async #sync(tables: DbTables): Promise<void> {
    const entries = [...tables.counters];
    // Kong clears the tables whatever the outcome: the next request reads Redis again.
    tables.counters.clear();
    const connection = this.#connections.get(tables.redis);
    await Promise.all(
      entries
        .filter(([, c]) => c.delta !== 0)
        .map(([key, c]) => connection.evalScript(SYNC_SCRIPT, [key], [c.delta, c.expireAt])),
    );
  }
}
