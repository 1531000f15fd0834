/**
 * proxy-cache's configuration (Kong 3.10 kong/plugins/proxy-cache/schema.lua): the `memory`
 * strategy (Kong OSS's only one). `memory.dictionary_name` names the store entries live in (Kong:
 * an nginx shared dict, `kong_db_cache` by default); here each name is its own bounded in-memory
 * store (store.ts), so any name is accepted.
 */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const STRATEGY_TYPES = ['memory'] as const;

export const schema = definePluginSchema({
  name: 'proxy-cache',
  fields: {
    protocols: typedefs.protocols(),
    config: configRecord({
      response_code: {
        type: 'array',
        description: 'Upstream response status code considered cacheable.',
        default: [200, 301, 404],
        elements: { type: 'integer', between: [100, 900] },
        len_min: 1,
        required: true,
      },
      request_method: {
        type: 'array',
        description: 'Downstream request methods considered cacheable.',
        default: ['GET', 'HEAD'],
        elements: { type: 'string', one_of: ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] },
        required: true,
      },
      content_type: {
        type: 'array',
        description: 'Upstream response content types considered cacheable (exact match).',
        default: ['text/plain', 'application/json'],
        elements: { type: 'string' },
        required: true,
      },
      cache_ttl: { type: 'integer', default: 300, gt: 0, description: 'TTL, in seconds, of cache entities.' },
      strategy: { type: 'string', one_of: STRATEGY_TYPES, required: true },
      cache_control: { type: 'boolean', default: false, required: true },
      ignore_uri_case: { type: 'boolean', default: false, required: false },
      storage_ttl: { type: 'integer' },
      memory: {
        type: 'record',
        required: true,
        fields: { dictionary_name: { type: 'string', required: true, default: 'kong_db_cache' } },
      },
      vary_query_params: { type: 'array', elements: { type: 'string' } },
      vary_headers: { type: 'array', elements: { type: 'string' } },
      response_headers: {
        type: 'record',
        required: true,
        description: 'Caching related diagnostic headers that should be included in cached responses',
        fields: {
          age: { type: 'boolean', default: true },
          'X-Cache-Status': { type: 'boolean', default: true },
          'X-Cache-Key': { type: 'boolean', default: true },
        },
      },
    }),
  },
});

export type ProxyCacheConfig = PluginConfigOf<typeof schema>;
