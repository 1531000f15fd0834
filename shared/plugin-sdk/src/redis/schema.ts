/**
 * Kong's shared Redis configuration (kong/tools/redis/schema.lua), the `config.redis` record of
 * rate-limiting and response-ratelimiting (Kong 3.8+), and the deprecated flat `redis_*` fields
 * older files carry, as those plugins' schemas map them (`shorthand_fields` with a deprecation:
 * `redis_host` → `redis.host`, …; the nested field wins, a different value in both is refused).
 */
import type { RecordField, RecordShorthand } from '../../../src/schema/index.ts';
import { typedefs } from '../../../src/schema/index.ts';

/** Kong's DEFAULT_TIMEOUT for Redis, milliseconds. */
export const REDIS_DEFAULT_TIMEOUT = 2000;

/** Kong's typedefs.timeout: milliseconds, 0 … 2^31 - 2. */
const timeout = { type: 'integer', between: [0, 2 ** 31 - 2] } as const;

/** `config.redis`: required as Kong's entity records are, so it always shows its defaults. */
export const redisConfigField = {
  type: 'record',
  description: 'Redis configuration',
  required: true,
  fields: {
    host: typedefs.host({ description: 'A string representing a host name, such as example.com.' }),
    port: typedefs.port({ default: 6379 }),
    timeout: { ...timeout, default: REDIS_DEFAULT_TIMEOUT },
    username: {
      type: 'string',
      referenceable: true,
      description:
        "Username to use for Redis connections. If undefined, ACL authentication won't be performed.",
    },
    password: {
      type: 'string',
      referenceable: true,
      sensitive: 'encrypt',
      len_min: 0,
      description: 'Password to use for Redis connections. If undefined, no AUTH commands are sent to Redis.',
    },
    database: {
      type: 'integer',
      default: 0,
      description: 'Database to use for the Redis connection when using the `redis` strategy',
    },
    ssl: { type: 'boolean', required: false, default: false },
    ssl_verify: { type: 'boolean', required: false, default: false },
    server_name: typedefs.sni({ required: false }),
  },
} as const satisfies RecordField;

/** The flat names and their types, in Kong's order. */
const FLAT = [
  ['host', { type: 'string' }],
  ['port', { type: 'integer' }],
  ['password', { type: 'string', len_min: 0 }],
  ['username', { type: 'string' }],
  ['ssl', { type: 'boolean' }],
  ['ssl_verify', { type: 'boolean' }],
  ['server_name', { type: 'string' }],
  ['timeout', { type: 'integer' }],
  ['database', { type: 'integer' }],
] as const;

/** `redis_<name>` shorthands of `plugin`'s config record, as its Kong schema declares them. */
export function redisShorthandFields(plugin: string): { readonly [name: string]: RecordShorthand } {
  const out: Record<string, RecordShorthand> = {};
  for (const [name, descriptor] of FLAT) {
    out[`redis_${name}`] = {
      ...descriptor,
      deprecation: {
        replaced_with: [{ path: ['redis', name] }],
        message: `${plugin}: config.redis_${name} is deprecated, please use config.redis.${name} instead`,
        removal_in_version: '4.0',
      },
      func: (value: unknown) => ({ redis: { [name]: value } }),
    } as RecordShorthand;
  }
  return out;
}

/** What a Redis connection needs: `config.redis` after validation. */
export interface RedisConnectionConfig {
  readonly host?: string | null;
  readonly port?: number | null;
  readonly timeout?: number | null;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly database?: number | null;
  readonly ssl?: boolean | null;
  readonly ssl_verify?: boolean | null;
  readonly server_name?: string | null;
}
