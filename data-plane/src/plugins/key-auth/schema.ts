/** key-auth's configuration (Kong 3.x kong/plugins/key-auth/schema.lua). */
import {
  configRecord,
  definePluginSchema,
  noConsumer,
  type PluginConfigOf,
  typedefs,
} from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'key-auth',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: configRecord({
      key_names: { type: 'array', required: true, elements: typedefs.headerName(), default: ['apikey'] },
      hide_credentials: { type: 'boolean', required: true, default: false },
      anonymous: { type: 'string' },
      key_in_header: { type: 'boolean', required: true, default: true },
      key_in_query: { type: 'boolean', required: true, default: true },
      key_in_body: { type: 'boolean', required: true, default: false },
      run_on_preflight: { type: 'boolean', required: true, default: true },
      realm: { type: 'string' },
    }),
  },
});

export type KeyAuthConfig = PluginConfigOf<typeof schema>;
