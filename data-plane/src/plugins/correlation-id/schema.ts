/** correlation-id's configuration (Kong 3.10 kong/plugins/correlation-id/schema.lua). */
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'correlation-id',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: {
      type: 'record',
      required: true,
      fields: {
        header_name: { type: 'string', default: 'Kong-Request-ID' },
        generator: {
          type: 'string',
          default: 'uuid#counter',
          required: true,
          one_of: ['uuid', 'uuid#counter', 'tracker'],
        },
        echo_downstream: { type: 'boolean', required: true, default: false },
      },
    },
  },
});

export type CorrelationIdConfig = PluginConfigOf<typeof schema>;
