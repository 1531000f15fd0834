/** request-size-limiting's configuration (Kong 3.10 kong/plugins/request-size-limiting/schema.lua). */
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const SIZE_UNITS = ['megabytes', 'kilobytes', 'bytes'] as const;

export const schema = definePluginSchema({
  name: 'request-size-limiting',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: {
      type: 'record',
      required: true,
      fields: {
        allowed_payload_size: { type: 'integer', default: 128 },
        size_unit: { type: 'string', required: true, default: 'megabytes', one_of: SIZE_UNITS },
        require_content_length: { type: 'boolean', required: true, default: false },
      },
    },
  },
});

export type RequestSizeLimitingConfig = PluginConfigOf<typeof schema>;
