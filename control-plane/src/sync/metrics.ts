import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the sync server reports; every hook is a no-op without a prom-client Registry. */
export interface SyncMetrics {
  configVersion(version: number): void;
  connected(count: number): void;
  pushed(kind: 'snapshot' | 'delta'): void;
  nacked(): void;
  /** A data plane refused: by its certificate, its version, its plugins or a protocol error. */
  refused(reason: RefusalReason): void;
  /** A version in flight that got neither Ack nor Nack in time. */
  ackTimedOut(): void;
  /** Seconds from sending a version to its Ack. */
  pushDuration(seconds: number): void;
  /** What a data plane reported for compiling and swapping a version (its Ack's apply_ms). */
  applyDuration(seconds: number): void;
  /** How many versions a data plane is behind the latest, after its Ack. */
  lag(nodeId: string, versions: number): void;
  /**
   * Whether a data plane can run the configuration: 0 while its plugin set (or version) is
   * incompatible, as Kong's data_plane_version_compatible.
   */
  compatible(nodeId: string, compatible: boolean): void;
  /** A data plane is gone: its lag and compatibility series end. */
  forget(nodeId: string): void;
}

/** Why the control plane refused a data plane: the label of turnpike_cluster_data_plane_refusals_total. */
export type RefusalReason =
  | 'certificate'
  | 'common_name'
  | 'turnpike_version_incompatible'
  | 'plugin_set_incompatible'
  | 'protocol';

const noop = () => {};

export const NO_METRICS: SyncMetrics = {
  configVersion: noop,
  connected: noop,
  pushed: noop,
  nacked: noop,
  refused: noop,
  ackTimedOut: noop,
  pushDuration: noop,
  applyDuration: noop,
  lag: noop,
  compatible: noop,
  forget: noop,
};

export function syncMetrics(registry: Registry | undefined): SyncMetrics {
  if (registry === undefined) return NO_METRICS;
  const registers = [registry];
  const version = new Gauge({
    name: 'turnpike_cluster_config_version',
    help: 'The latest configuration version the control plane serves',
    registers,
  });
  const connected = new Gauge({
    name: 'turnpike_cluster_data_planes_connected',
    help: 'Data planes with an open sync stream',
    registers,
  });
  const pushes = new Counter({
    name: 'turnpike_cluster_config_pushes_total',
    help: 'Configurations sent to data planes, by kind',
    labelNames: ['kind'],
    registers,
  });
  const nacks = new Counter({
    name: 'turnpike_cluster_config_nacks_total',
    help: 'Configurations data planes refused (Nack)',
    registers,
  });
  const refusals = new Counter({
    name: 'turnpike_cluster_data_plane_refusals_total',
    help: 'Data planes the control plane refused, by reason',
    labelNames: ['reason'],
    registers,
  });
  const ackTimeouts = new Counter({
    name: 'turnpike_cluster_config_ack_timeouts_total',
    help: 'Configurations in flight that got neither Ack nor Nack in time (the stream is then closed)',
    registers,
  });
  const duration = new Histogram({
    name: 'turnpike_cluster_config_push_duration_seconds',
    help: 'Time from sending a configuration to its Ack',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const apply = new Histogram({
    name: 'turnpike_cluster_config_apply_duration_seconds',
    help: 'Time data planes took to compile and swap in a configuration, as they report it',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const lag = new Gauge({
    name: 'turnpike_cluster_data_plane_lag_versions',
    help: 'Configuration versions a data plane is behind the latest',
    labelNames: ['node_id'],
    registers,
  });
  const compatible = new Gauge({
    name: 'turnpike_cluster_data_plane_compatible',
    help: "Whether a data plane can run the configuration (0: a plugin it uses is missing there, or its version is incompatible), as Kong's data_plane_version_compatible",
    labelNames: ['node_id'],
    registers,
  });
  return {
    configVersion: (v) => version.set(v),
    compatible: (nodeId, ok) => compatible.set({ node_id: nodeId }, ok ? 1 : 0),
    applyDuration: (s) => apply.observe(s),
    lag: (nodeId, versions) => lag.set({ node_id: nodeId }, versions),
    forget: (nodeId) => {
      lag.remove({ node_id: nodeId });
      compatible.remove({ node_id: nodeId });
    },
    connected: (n) => connected.set(n),
    pushed: (kind) => pushes.inc({ kind }),
    nacked: () => nacks.inc(),
    refused: (reason) => refusals.inc({ reason }),
    ackTimedOut: () => ackTimeouts.inc(),
    pushDuration: (s) => duration.observe(s),
  };
}
