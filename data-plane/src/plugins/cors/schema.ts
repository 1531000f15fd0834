/** cors's configuration (Kong 3.10 kong/plugins/cors/schema.lua). */
import { definePluginSchema, noConsumer, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const METHODS = [
  'GET',
  'HEAD',
  'PUT',
  'PATCH',
  'POST',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
] as const;

/**
 * `*` or a regex. Kong compiles it as PCRE; here it must compile as a JavaScript RegExp, which is
 * what matches it (see origins.ts).
 */
export function validateAsteriskOrRegex(value: string): string | undefined {
  if (value === '*') return undefined;
  try {
    new RegExp(value);
    return undefined;
  } catch {
    return `'${value}' is not a valid regex`;
  }
}

export const schema = definePluginSchema({
  name: 'cors',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: {
      type: 'record',
      required: true,
      fields: {
        origins: {
          type: 'array',
          elements: {
            type: 'string',
            custom_validator: validateAsteriskOrRegex as (v: never) => string | undefined,
          },
        },
        headers: { type: 'array', elements: { type: 'string' } },
        exposed_headers: { type: 'array', elements: { type: 'string' } },
        methods: { type: 'array', default: METHODS, elements: { type: 'string', one_of: METHODS } },
        max_age: { type: 'number' },
        credentials: { type: 'boolean', required: true, default: false },
        private_network: { type: 'boolean', required: true, default: false },
        preflight_continue: { type: 'boolean', required: true, default: false },
        allow_origin_absent: { type: 'boolean', required: true, default: true },
      },
    },
  },
});

export type CorsConfig = PluginConfigOf<typeof schema>;
