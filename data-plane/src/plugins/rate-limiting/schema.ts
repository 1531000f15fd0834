/**
 * rate-limiting's configuration (Kong 3.10 kong/plugins/rate-limiting/schema.lua), as Kong's
 * hybrid-mode schema has it: `cluster` is not among the policies (there is no database on a data
 * plane). `redis` counts in a Redis server shared by every node (redis-policy.ts), configured by
 * the nested `config.redis` record (Kong 3.8+) or the deprecated flat `redis_*` fields, which are
 * mapped onto it as Kong maps them (the SDK's redisShorthandFields).
 */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';
import { redisConfigField, redisShorthandFields } from '@turnpike/plugin-sdk/redis';

/** Shortest first: Kong checks each limit is not lower than the limit of a shorter period. */
export const ORDERED_PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof ORDERED_PERIODS)[number];

/** Kong's SYNC_RATE_REALTIME: every request reads and counts in Redis. */
export const SYNC_RATE_REALTIME = -1;

/** Kong's %.1f: 10 → "10.0", 2.25 → "2.3" (Lua's string.format rounds the same way). */
function oneDecimal(n: number): string {
  return n.toFixed(1);
}

/** Kong's validate_periods_order, the record's custom validator. */
export function validatePeriodsOrder(config: Record<string, unknown>): string | undefined {
  for (let i = 0; i < ORDERED_PERIODS.length; i++) {
    const lower = ORDERED_PERIODS[i]!;
    const v1 = config[lower];
    if (typeof v1 !== 'number') continue;
    for (let j = i + 1; j < ORDERED_PERIODS.length; j++) {
      const upper = ORDERED_PERIODS[j]!;
      const v2 = config[upper];
      if (typeof v2 === 'number' && v2 < v1) {
        return `The limit for ${upper}(${oneDecimal(v2)}) cannot be lower than the limit for ${lower}(${oneDecimal(v1)})`;
      }
    }
  }
  const syncRate = config.sync_rate ?? SYNC_RATE_REALTIME;
  if (config.policy !== 'redis' && syncRate !== SYNC_RATE_REALTIME) {
    return 'sync_rate can only be used with the redis policy';
  }
  if (config.policy === 'redis' && typeof syncRate === 'number') {
    if (syncRate !== SYNC_RATE_REALTIME && syncRate < 0.02) {
      return 'sync_rate must be greater than 0.02, or -1 to disable';
    }
  }
  return undefined;
}

const limit = (description: string) => ({ type: 'number', gt: 0, description }) as const;

export const schema = definePluginSchema({
  name: 'rate-limiting',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: {
      ...configRecord({
        second: limit('The number of HTTP requests that can be made per second.'),
        minute: limit('The number of HTTP requests that can be made per minute.'),
        hour: limit('The number of HTTP requests that can be made per hour.'),
        day: limit('The number of HTTP requests that can be made per day.'),
        month: limit('The number of HTTP requests that can be made per month.'),
        year: limit('The number of HTTP requests that can be made per year.'),
        limit_by: {
          type: 'string',
          default: 'consumer',
          one_of: ['consumer', 'credential', 'ip', 'service', 'header', 'path'],
        },
        header_name: typedefs.headerName(),
        path: typedefs.path(),
        policy: {
          type: 'string',
          default: 'local',
          len_min: 0,
          one_of: ['local', 'redis'],
        },
        fault_tolerant: { type: 'boolean', required: true, default: true },
        redis: redisConfigField,
        hide_client_headers: { type: 'boolean', required: true, default: false },
        error_code: { type: 'number', default: 429, gt: 0 },
        error_message: { type: 'string', default: 'API rate limit exceeded' },
        sync_rate: { type: 'number', required: true, default: SYNC_RATE_REALTIME },
      }),
      custom_validator: (config: Record<string, unknown>) => validatePeriodsOrder(config),
      shorthand_fields: redisShorthandFields('rate-limiting'),
    },
  },
  // On the plugin, not its config, so that messages name `config.second` … as Kong's do.
  entity_checks: [
    { at_least_one_of: ORDERED_PERIODS.map((period) => `config.${period}`) },
    ...(['host', 'port', 'timeout'] as const).map((field) => ({
      conditional: {
        if_field: 'config.policy',
        if_match: { eq: 'redis' },
        then_field: `config.redis.${field}`,
        then_match: { required: true },
      },
    })),
    {
      conditional: {
        if_field: 'config.limit_by',
        if_match: { eq: 'header' },
        then_field: 'config.header_name',
        then_match: { required: true },
      },
    },
    {
      conditional: {
        if_field: 'config.limit_by',
        if_match: { eq: 'path' },
        then_field: 'config.path',
        then_match: { required: true },
      },
    },
  ],
});

export type RateLimitingConfig = PluginConfigOf<typeof schema>;
