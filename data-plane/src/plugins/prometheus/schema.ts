/** prometheus's configuration (Kong 3.10 kong/plugins/prometheus/schema.lua): switches, all off by default. */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

const flag = { type: 'boolean', default: false } as const;

export const schema = definePluginSchema({
  name: 'prometheus',
  fields: {
    protocols: typedefs.protocols(),
    config: configRecord({
      per_consumer: flag,
      status_code_metrics: flag,
      // Kong's AI and Wasm metrics: accepted as Kong's; Turnpike has no AI plugins nor Wasm filters,
      // so no such series ever has a value (as on a Kong node without them).
      ai_metrics: flag,
      latency_metrics: flag,
      bandwidth_metrics: flag,
      upstream_health_metrics: flag,
      wasm_metrics: flag,
    }),
  },
});

export type PrometheusPluginConfig = PluginConfigOf<typeof schema>;
