/** zipkin's configuration (Kong 3.10 kong/plugins/zipkin/schema.lua). */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

/** Kong's PROTECTED_TAGS: a static tag may not set these. */
const PROTECTED_TAGS = [
  'error',
  'http.method',
  'http.path',
  'http.status_code',
  'kong.balancer.state',
  'kong.balancer.try',
  'kong.consumer',
  'kong.credential',
  'kong.node.id',
  'kong.route',
  'kong.service',
  'lc',
  'peer.hostname',
];

/** The propagation formats Turnpike reads and writes (Kong also has jaeger, ot, aws, gcp, datadog, instana). */
const FORMATS = ['b3', 'b3-single', 'w3c'] as const;

export const schema = definePluginSchema({
  name: 'zipkin',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: configRecord({
      local_service_name: { type: 'string', required: true, default: 'kong' },
      http_endpoint: typedefs.url(),
      sample_ratio: { type: 'number', default: 0.001, between: [0, 1] },
      default_service_name: { type: 'string' },
      include_credential: { type: 'boolean', required: true, default: true },
      traceid_byte_count: { type: 'integer', required: true, default: 16, one_of: [8, 16] },
      header_type: {
        type: 'string',
        required: true,
        default: 'preserve',
        one_of: ['preserve', 'ignore', ...FORMATS],
      },
      default_header_type: { type: 'string', required: true, default: 'b3', one_of: [...FORMATS] },
      tags_header: { type: 'string', required: true, default: 'Zipkin-Tags' },
      static_tags: {
        type: 'array',
        elements: {
          type: 'record',
          fields: {
            name: { type: 'string', required: true, not_one_of: PROTECTED_TAGS },
            value: { type: 'string', required: true },
          },
        },
      },
      http_span_name: {
        type: 'string',
        required: true,
        default: 'method',
        one_of: ['method', 'method_path'],
      },
      connect_timeout: { type: 'integer', default: 2000, between: [0, 2_147_483_646] },
      send_timeout: { type: 'integer', default: 5000, between: [0, 2_147_483_646] },
      read_timeout: { type: 'integer', default: 5000, between: [0, 2_147_483_646] },
      http_response_header_for_traceid: { type: 'string' },
      phase_duration_flavor: {
        type: 'string',
        required: true,
        default: 'annotations',
        one_of: ['annotations', 'tags'],
      },
      queue: typedefs.queue(),
      propagation: {
        type: 'record',
        required: true,
        fields: {
          extract: { type: 'array', elements: { type: 'string', one_of: [...FORMATS] } },
          clear: { type: 'array', elements: typedefs.headerName() },
          inject: { type: 'array', elements: { type: 'string', one_of: ['preserve', ...FORMATS] } },
          default_format: { type: 'string', default: 'b3', one_of: [...FORMATS] },
        },
      },
    }),
  },
});

export type ZipkinConfig = PluginConfigOf<typeof schema>;
