import { hostname } from 'node:os';
import {
  type Lifecycle,
  type Logger,
  loadNodeId,
  type NodeMetrics,
  type StatusSource,
  TURNPIKE_VERSION,
} from '@turnpike/shared';
import type { LogFiles } from '@turnpike/shared/access-log';
import { clusterTlsFromConfig, generateClusterCertificate } from '@turnpike/shared/cluster';
import type { ConfigSources, TurnpikeConfig } from '@turnpike/shared/config';
import type { NodePluginAdmin } from '@turnpike/shared/plugins';
import { Gauge } from 'prom-client';
import { loadNodePlugins } from './plugins.ts';

export interface RoleOptions {
  readonly config: TurnpikeConfig;
  readonly sources: ConfigSources;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  /** The status listener's `/metrics`: this process's registry, and the proxy workers' (aggregated). */
  readonly metrics: NodeMetrics;
  /** The node's log files: the Admin API's access log, the data plane's reopen hook. */
  readonly logFiles: LogFiles;
}

/**
 * Starts what `role` asks for. `traditional` is a control plane and a data plane in one
 * process, joined by the same gRPC sync stream as in hybrid mode, on a loopback port with a
 * certificate made for this run: the data plane still never touches the database.
 *
 * Each plane is imported only when the role runs it, so a data plane never loads (nor pays the
 * memory for) the control plane's modules.
 */
export async function startRole(options: RoleOptions): Promise<StatusSource[]> {
  const { config, sources, log, lifecycle, metrics, logFiles } = options;
  const adminAccessLog = logFiles.open(config.admin_access_log);
  const accessLog = adminAccessLog === undefined ? {} : { adminAccessLog };
  const nodeId = config.node_id ?? (await loadNodeId(config.prefix));
  const common = { config, log, lifecycle, nodeId, hostname: hostname() };
  // Kong's node_info, whatever the role.
  new Gauge({
    name: 'kong_node_info',
    help: 'Kong Node metadata information',
    labelNames: ['node_id', 'version'],
    registers: [metrics.registry],
  }).set({ node_id: nodeId, version: TURNPIKE_VERSION }, 1);
  // One loader for both planes (and `turnpike check`): the CP needs the schemas (and, for `GET /`,
  // each handler's version and priority), the DP the handlers too.
  const loaded = await loadNodePlugins(config, sources, log);
  const plugins = { pluginSchemas: loaded.schemas, pluginsAvailable: loaded.available };

  if (config.role === 'data_plane') {
    const { startDataPlane } = await import('@turnpike/data-plane/node');
    const dp = await startDataPlane({
      ...common,
      clusterTls: await clusterTlsFromConfig(config, sources),
      plugins: loaded.versions,
      logFiles,
      metrics,
    });
    return [dp.status];
  }
  const { startControlPlane } = await import('@turnpike/control-plane/node');
  if (config.role === 'control_plane') {
    const cp = await startControlPlane({
      ...common,
      sources,
      metrics: metrics.registry,
      clusterTls: await clusterTlsFromConfig(config, sources),
      ...plugins,
      ...accessLog,
    });
    return [cp.status];
  }
  const pair = await generateClusterCertificate({ days: 2 });
  const internal = { mode: 'shared' as const, certPem: pair.certPem, keyPem: pair.keyPem };
  // The Admin API reaches the proxy workers' plugin state (proxy-cache purges) once they run.
  let workers: NodePluginAdmin | undefined;
  const cp = await startControlPlane({
    ...common,
    sources,
    metrics: metrics.registry,
    clusterTls: internal,
    clusterListen: { host: '127.0.0.1', port: 0 },
    ...plugins,
    ...accessLog,
    nodePlugins: { call: async (plugin, op) => (workers === undefined ? [] : workers.call(plugin, op)) },
  });
  const { startDataPlane } = await import('@turnpike/data-plane/node');
  const dp = await startDataPlane({
    ...common,
    clusterTls: internal,
    controlPlane: `127.0.0.1:${cp.clusterPort}`,
    plugins: loaded.versions,
    logFiles,
    metrics,
  });
  workers = dp.pluginAdmin;
  return [cp.status, dp.status];
}
