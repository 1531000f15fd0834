/** hmac-auth's configuration (Kong 3.10 kong/plugins/hmac-auth/schema.lua). */
import {
  configRecord,
  definePluginSchema,
  noConsumer,
  type PluginConfigOf,
  typedefs,
} from '@turnpike/plugin-sdk';

export const ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;

export const schema = definePluginSchema({
  name: 'hmac-auth',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: configRecord({
      hide_credentials: { type: 'boolean', required: true, default: false },
      clock_skew: { type: 'number', default: 300, gt: 0 },
      anonymous: { type: 'string' },
      validate_request_body: { type: 'boolean', required: true, default: false },
      enforce_headers: { type: 'array', elements: { type: 'string' }, default: [] },
      algorithms: {
        type: 'array',
        elements: { type: 'string', one_of: ALGORITHMS },
        default: [...ALGORITHMS],
      },
      realm: { type: 'string' },
    }),
  },
});

export type HmacAuthConfig = PluginConfigOf<typeof schema>;
