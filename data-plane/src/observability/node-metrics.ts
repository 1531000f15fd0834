/**
 * The data plane's metrics in its main process: the proxy workers' registries aggregated into one
 * text for the status listener's `/metrics` (prom-client's AggregatorRegistry.aggregate: counters
 * and histograms summed, each metric's own `aggregator` otherwise), behind the pool's
 * `collectMetrics` (IPC today; the same call if workers become threads), and Kong's
 * `kong_control_plane_connected` / `kong_datastore_reachable` of a data plane.
 */

import {
  AggregatorRegistry,
  Gauge,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

/** What can hand over every worker's metrics (the WorkerPool). */
export interface WorkerMetricsSource {
  collectMetrics(): Promise<(readonly unknown[])[]>;
}

/** Every worker's series as one Prometheus text; empty when no worker answered. */
export async function workerMetricsText(source: WorkerMetricsSource): Promise<string> {
  const perWorker = (await source.collectMetrics()).filter((metrics) => metrics.length > 0);
  if (perWorker.length === 0) return '';
  const aggregated = AggregatorRegistry.aggregate(
    perWorker as unknown as MetricObjectWithValues<MetricValue<string>>[][],
  );
  return aggregated.metrics();
}

export interface DataPlaneMetricsOptions {
  readonly connected: () => boolean;
}

export function registerDataPlaneMetrics(registry: Registry, options: DataPlaneMetricsOptions): void {
  const registers = [registry];
  new Gauge({
    name: 'kong_control_plane_connected',
    help: 'Kong connected to control plane, 0 is unconnected',
    registers,
    collect() {
      this.set(options.connected() ? 1 : 0);
    },
  });
  // A data plane has no datastore: Kong's DB-less node reports it reachable (its `off` connector).
  new Gauge({
    name: 'kong_datastore_reachable',
    help: 'Datastore reachable from Kong, 0 is unreachable',
    registers,
    collect() {
      this.set(1);
    },
  });
}
