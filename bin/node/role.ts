import { hostname } from 'node:os';
import { startControlPlane } from '@turnpike/control-plane/node';
import { startDataPlane } from '@turnpike/data-plane/node';
import { type Lifecycle, type Logger, loadNodeId, type StatusSource } from '@turnpike/shared';
import { clusterTlsFromConfig, generateClusterCertificate } from '@turnpike/shared/cluster';
import type { ConfigSources, TurnpikeConfig } from '@turnpike/shared/config';
import type { Registry } from 'prom-client';

export interface RoleOptions {
  readonly config: TurnpikeConfig;
  readonly sources: ConfigSources;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly metrics: Registry;
}

/**
 * Starts what `role` asks for. `traditional` is a control plane and a data plane in one
 * process, joined by the same gRPC sync stream as in hybrid mode, on a loopback port with a
 * certificate made for this run: the data plane still never touches the database.
 */
export async function startRole(options: RoleOptions): Promise<StatusSource[]> {
  const { config, sources, log, lifecycle, metrics } = options;
  const nodeId = config.node_id ?? (await loadNodeId(config.prefix));
  const host = hostname();
  const common = { config, log, lifecycle, nodeId, hostname: host };
  const plugins = { pluginSchemas: () => undefined, pluginsAvailable: [] as string[] };

  if (config.role === 'control_plane') {
    const cp = await startControlPlane({
      ...common,
      sources,
      metrics,
      clusterTls: await clusterTlsFromConfig(config),
      ...plugins,
    });
    return [cp.status];
  }
  if (config.role === 'data_plane') {
    const dp = await startDataPlane({ ...common, clusterTls: await clusterTlsFromConfig(config) });
    return [dp.status];
  }
  const pair = await generateClusterCertificate({ days: 2 });
  const internal = { mode: 'shared' as const, certPem: pair.certPem, keyPem: pair.keyPem };
  const cp = await startControlPlane({
    ...common,
    sources,
    metrics,
    clusterTls: internal,
    clusterListen: { host: '127.0.0.1', port: 0 },
    ...plugins,
  });
  const dp = await startDataPlane({
    ...common,
    clusterTls: internal,
    controlPlane: `127.0.0.1:${cp.clusterPort}`,
  });
  return [cp.status, dp.status];
}
