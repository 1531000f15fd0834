export {
  type AccessLogFormat,
  jsonLogRecord,
  kongLogLine,
  type Latencies,
  latenciesOf,
  loggedStatus,
  ProxyAccessLog,
} from './access-log.ts';
export {
  KONG_LATENCY_BUCKETS,
  type KongMetricsOptions,
  KongProxyMetrics,
  UPSTREAM_LATENCY_BUCKETS,
} from './kong-metrics.ts';
export { combineObservers } from './observers.ts';
export {
  NO_PROMETHEUS,
  type PrometheusConfig,
  type PrometheusSwitches,
  prometheusConfigOf,
} from './prometheus-config.ts';
