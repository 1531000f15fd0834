/**
 * prometheus (Kong 3.10 kong/plugins/prometheus): the handler has no phase. What Kong's log phase
 * does (kong/plugins/prometheus/exporter.lua `log`) is done by the data plane's metrics observer
 * once each response closed (data-plane/src/observability/kong-metrics.ts), which reads this
 * plugin's instances from the configuration: a route it applies to keeps the proxy's fast path,
 * and the series are served by the status listener's `/metrics`, every worker aggregated.
 */
import { definePluginHandler } from '@turnpike/plugin-sdk';
import type { PrometheusPluginConfig } from './schema.ts';

export const handler = definePluginHandler<PrometheusPluginConfig>({
  name: 'prometheus',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 13,
  sdkVersion: '1.0.0',
});
