/** opentelemetry's configuration (Kong 3.10 kong/plugins/opentelemetry/schema.lua). */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

function configError(config: Readonly<Record<string, unknown>>): string | undefined {
  // Kong's shorthand `endpoint` (deprecated) sets traces_endpoint.
  if (typeof config.endpoint === 'string' && config.traces_endpoint == null) return undefined;
  if (config.traces_endpoint == null && config.logs_endpoint == null)
    return "at least one of these fields must be non-empty: 'traces_endpoint', 'logs_endpoint'";
  if (config.logs_endpoint != null)
    return 'logs_endpoint: not supported by Turnpike yet (only traces are exported)';
  return undefined;
}

/** Kong's typedefs.queue with opentelemetry's default max_batch_size, 200. */
const queueField = {
  ...typedefs.queue(),
  fields: {
    ...typedefs.queue().fields,
    max_batch_size: { ...typedefs.queue().fields.max_batch_size, default: 200 },
  },
} as const;

export const schema = definePluginSchema({
  name: 'opentelemetry',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: {
      ...configRecord({
        traces_endpoint: typedefs.url(),
        logs_endpoint: typedefs.url(),
        // Kong's deprecated shorthand for traces_endpoint.
        endpoint: typedefs.url(),
        headers: { type: 'map', keys: typedefs.headerName(), values: { type: 'string' } },
        resource_attributes: {
          type: 'map',
          keys: { type: 'string' },
          values: { type: 'string', len_min: 1 },
        },
        queue: queueField,
        batch_span_count: { type: 'integer' },
        batch_flush_delay: { type: 'integer' },
        connect_timeout: { type: 'integer', default: 1000, between: [0, 2_147_483_646] },
        send_timeout: { type: 'integer', default: 5000, between: [0, 2_147_483_646] },
        read_timeout: { type: 'integer', default: 5000, between: [0, 2_147_483_646] },
        http_response_header_for_traceid: { type: 'string' },
        header_type: {
          type: 'string',
          default: 'preserve',
          one_of: ['preserve', 'ignore', 'w3c'],
        },
        sampling_rate: { type: 'number', between: [0, 1] },
        propagation: {
          type: 'record',
          required: true,
          fields: {
            extract: { type: 'array', elements: { type: 'string', one_of: ['w3c'] } },
            clear: { type: 'array', elements: typedefs.headerName() },
            inject: { type: 'array', elements: { type: 'string', one_of: ['preserve', 'w3c'] } },
            default_format: { type: 'string', default: 'w3c', one_of: ['w3c'] },
          },
        },
      }),
      custom_validator: configError,
    },
  },
});

export type OpenTelemetryConfig = PluginConfigOf<typeof schema>;
