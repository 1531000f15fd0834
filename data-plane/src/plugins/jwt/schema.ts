/** jwt's configuration (Kong 3.x kong/plugins/jwt/schema.lua). */
import {
  configRecord,
  definePluginSchema,
  noConsumer,
  type PluginConfigOf,
  typedefs,
} from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'jwt',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: configRecord({
      uri_param_names: { type: 'set', elements: { type: 'string' }, default: ['jwt'] },
      cookie_names: { type: 'set', elements: { type: 'string' }, default: [] },
      key_claim_name: { type: 'string', default: 'iss' },
      secret_is_base64: { type: 'boolean', required: true, default: false },
      claims_to_verify: { type: 'set', elements: { type: 'string', one_of: ['exp', 'nbf'] } },
      anonymous: { type: 'string' },
      run_on_preflight: { type: 'boolean', required: true, default: true },
      maximum_expiration: { type: 'number', default: 0, between: [0, 31536000] },
      header_names: { type: 'set', elements: { type: 'string' }, default: ['authorization'] },
      realm: { type: 'string' },
    }),
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'config.maximum_expiration',
        if_match: { gt: 0 },
        then_field: 'config.claims_to_verify',
        then_match: { contains: 'exp' },
      },
    },
  ],
});

export type JwtConfig = PluginConfigOf<typeof schema>;
