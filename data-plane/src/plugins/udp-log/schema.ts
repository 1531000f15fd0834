/** udp-log's configuration (Kong 3.10 kong/plugins/udp-log/schema.lua). */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'udp-log',
  fields: {
    protocols: typedefs.protocols(),
    config: configRecord({
      host: typedefs.host({ required: true }),
      port: typedefs.port({ required: true }),
      timeout: {
        type: 'number',
        default: 10_000,
        description: 'An optional timeout in milliseconds when sending data to the upstream server.',
      },
      custom_fields_by_lua: typedefs.luaCode(),
    }),
  },
});

export type UdpLogConfig = PluginConfigOf<typeof schema>;
