/** grpc-web's configuration (Kong 3.10 kong/plugins/grpc-web/schema.lua). */
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'grpc-web',
  fields: {
    protocols: typedefs.protocols(),
    config: {
      type: 'record',
      required: true,
      fields: {
        /** A .proto file describing the service: needed for the JSON content types (transcoding). */
        proto: { type: 'string', required: false },
        /** Look the method up by the stripped path (the service's) rather than the client's. */
        pass_stripped_path: { type: 'boolean', required: false },
        allow_origin_header: { type: 'string', required: false, default: '*' },
      },
    },
  },
});

export type GrpcWebConfig = PluginConfigOf<typeof schema>;
