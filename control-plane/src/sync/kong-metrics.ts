/**
 * Kong's hybrid-mode metrics on the control plane (kong/plugins/prometheus/exporter.lua, role
 * control_plane), read from the data plane registry at scrape time: `kong_data_plane_last_seen`,
 * `kong_data_plane_config_hash` (the hash's numeric value, as Kong's config_hash_to_number),
 * `kong_data_plane_version_compatible`, and `kong_datastore_reachable`. Turnpike's own
 * `turnpike_cluster_*` series (metrics.ts) stay beside them.
 */

import { Gauge, type Registry } from 'prom-client';
import type { DataPlaneRegistry } from './registry.ts';

const INCOMPATIBLE = new Set(['plugin_set_incompatible', 'turnpike_version_incompatible']);

/** Kong's config_hash_to_number: the MD5 hex read as one (floating point) number. */
export function configHashNumber(hash: string): number {
  if (!/^[0-9a-f]+$/i.test(hash)) return 0;
  return Number(BigInt(`0x${hash}`));
}

export function registerKongControlPlaneMetrics(
  registry: Registry,
  dataPlanes: DataPlaneRegistry,
  datastoreReachable: () => Promise<boolean>,
): void {
  const registers = [registry];
  new Gauge({
    name: 'kong_data_plane_last_seen',
    help: 'Last time data plane contacted control plane',
    labelNames: ['node_id', 'hostname', 'ip'],
    registers,
    collect() {
      this.reset();
      for (const dp of dataPlanes.list())
        this.set({ node_id: dp.id, hostname: dp.hostname, ip: dp.ip }, dp.last_seen);
    },
  });
  new Gauge({
    name: 'kong_data_plane_config_hash',
    help: 'Config hash numeric value of the data plane',
    labelNames: ['node_id', 'hostname', 'ip'],
    registers,
    collect() {
      this.reset();
      for (const dp of dataPlanes.list()) {
        this.set({ node_id: dp.id, hostname: dp.hostname, ip: dp.ip }, configHashNumber(dp.config_hash));
      }
    },
  });
  new Gauge({
    name: 'kong_data_plane_version_compatible',
    help: 'Version compatible status of the data plane, 0 is incompatible',
    labelNames: ['node_id', 'hostname', 'ip', 'kong_version'],
    registers,
    collect() {
      this.reset();
      for (const dp of dataPlanes.list()) {
        this.set(
          { node_id: dp.id, hostname: dp.hostname, ip: dp.ip, kong_version: dp.version },
          INCOMPATIBLE.has(dp.sync_status) ? 0 : 1,
        );
      }
    },
  });
  new Gauge({
    name: 'kong_datastore_reachable',
    help: 'Datastore reachable from Kong, 0 is unreachable',
    registers,
    async collect() {
      this.set((await datastoreReachable()) ? 1 : 0);
    },
  });
}
