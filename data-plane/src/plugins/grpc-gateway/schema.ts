/** grpc-gateway's configuration (Kong 3.10 kong/plugins/grpc-gateway/schema.lua). */
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'grpc-gateway',
  fields: {
    protocols: typedefs.protocols(),
    config: {
      type: 'record',
      required: true,
      fields: {
        /** The .proto file: its services, and their `google.api.http` bindings. */
        proto: { type: 'string', required: false },
      },
    },
  },
});

export type GrpcGatewayConfig = PluginConfigOf<typeof schema>;
