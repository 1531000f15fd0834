/** basic-auth's configuration (Kong 3.x kong/plugins/basic-auth/schema.lua). */
import {
  configRecord,
  definePluginSchema,
  noConsumer,
  type PluginConfigOf,
  typedefs,
} from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'basic-auth',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: configRecord({
      anonymous: { type: 'string' },
      hide_credentials: { type: 'boolean', required: true, default: false },
      realm: { type: 'string', required: true, default: 'service' },
    }),
  },
});

export type BasicAuthConfig = PluginConfigOf<typeof schema>;
