/**
 * response-ratelimiting's configuration (Kong 3.10 kong/plugins/response-ratelimiting/schema.lua),
 * as Kong's hybrid/DB-less schema has it (no `cluster` policy): named limits (`limits.<name>.<period>`)
 * the service spends through its response header (`header_name`, default `x-kong-limit`). The
 * `redis` record and the deprecated flat `redis_*` fields are the SDK's, as in rate-limiting.
 */
import {
  configRecord,
  definePluginSchema,
  type PluginConfigOf,
  periodsOrderError,
  typedefs,
} from '@turnpike/plugin-sdk';
import { redisConfigField, redisShorthandFields } from '@turnpike/plugin-sdk/redis';

const limit = { type: 'number', gt: 0 } as const;

export const schema = definePluginSchema({
  name: 'response-ratelimiting',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: {
      ...configRecord({
        header_name: {
          type: 'string',
          default: 'x-kong-limit',
          description: 'The name of the response header used to increment the counters.',
        },
        limit_by: { type: 'string', default: 'consumer', one_of: ['consumer', 'credential', 'ip'] },
        policy: { type: 'string', default: 'local', one_of: ['local', 'redis'] },
        fault_tolerant: { type: 'boolean', required: true, default: true },
        redis: redisConfigField,
        block_on_first_violation: { type: 'boolean', required: true, default: false },
        hide_client_headers: { type: 'boolean', required: true, default: false },
        limits: {
          type: 'map',
          required: true,
          len_min: 1,
          description: 'A map that defines rate limits for the plugin.',
          keys: { type: 'string' },
          values: {
            type: 'record',
            required: true,
            fields: { second: limit, minute: limit, hour: limit, day: limit, month: limit, year: limit },
            custom_validator: (value: Record<string, unknown>) => periodsOrderError(value, true),
            entity_checks: [{ at_least_one_of: ['second', 'minute', 'hour', 'day', 'month', 'year'] }],
          },
        },
      }),
      shorthand_fields: redisShorthandFields('response-ratelimiting'),
    },
  },
  entity_checks: (['host', 'port', 'timeout'] as const).map((field) => ({
    conditional: {
      if_field: 'config.policy',
      if_match: { eq: 'redis' },
      then_field: `config.redis.${field}`,
      then_match: { required: true },
    },
  })),
});

export type ResponseRateLimitingConfig = PluginConfigOf<typeof schema>;
