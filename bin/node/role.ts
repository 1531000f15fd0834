import { availableParallelism, hostname } from 'node:os';
import type { ControlPlane } from '@turnpike/control-plane/node';
import type { NodeBalancers } from '@turnpike/shared';
import {
  type Lifecycle,
  type Logger,
  loadNodeId,
  type NodeMetrics,
  type StatusSource,
  TURNPIKE_VERSION,
} from '@turnpike/shared';
import type { LogFiles } from '@turnpike/shared/access-log';
import type { ConfigSources, TurnpikeConfig } from '@turnpike/shared/config';
import type { NodePluginAdmin } from '@turnpike/shared/plugins';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import { configFromEntities, hashConfig, type VersionedConfig } from '@turnpike/shared/sync';
import { Gauge } from 'prom-client';
import { loadNodePlugins } from './plugins.ts';
import { PluginSet, type ReloadablePlanes } from './reload-apply.ts';

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

/** What a started role gives the node: its status parts, and how a reload reaches its planes. */
export interface RoleParts {
  readonly status: StatusSource[];
  readonly planes: ReloadablePlanes;
}

/**
 * Starts what `role` asks for. `traditional` (with a datastore or DB-less) is a control plane and
 * a data plane in one process, joined by the sync protocol of hybrid mode — Hello, snapshots,
 * deltas, Ack/Nack, heartbeats — carried in-process (control-plane/src/sync/in-process.ts,
 * data-plane/src/sync/in-process-dial.ts) instead of a gRPC stream: no cluster port, no
 * certificate, no protobuf, and neither grpc-js nor the certificate code is loaded. The data
 * plane still never touches the database. Hybrid roles keep gRPC + mTLS.
 *
 * Each plane is imported only when the role runs it, so a data plane never loads (nor pays the
 * memory for) the control plane's modules.
 */
export async function startRole(options: RoleOptions): Promise<RoleParts> {
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
  // Swapped by a reload that changes `plugins`: the control plane reads through these two.
  const pluginSet = new PluginSet(loaded);
  const plugins = { pluginSchemas: pluginSet.lookup, pluginsAvailable: pluginSet.available };

  if (config.role === 'data_plane') {
    // Read (and a bad file refused) before anything starts, as a DB-less node reads its file.
    const declarative = await declarativeFallback(config, loaded.schemas);
    const [{ startDataPlane }, { clusterTlsFromConfig }] = await Promise.all([
      import('@turnpike/data-plane/node'),
      import('@turnpike/shared/cluster'),
    ]);
    const dp = await startDataPlane({
      ...common,
      cluster: { clusterTls: await clusterTlsFromConfig(config, sources) },
      plugins: loaded.versions,
      workerInMainProcess: true,
      logFiles,
      metrics,
      ...(declarative === undefined ? {} : { declarative }),
    });
    return { status: [dp.status], planes: { dp, pluginSet } };
  }
  const { startControlPlane } = await import('@turnpike/control-plane/node');
  if (config.role === 'control_plane') {
    const { clusterTlsFromConfig } = await import('@turnpike/shared/cluster');
    const cp = await startControlPlane({
      ...common,
      sources,
      metrics: metrics.registry,
      cluster: { tls: await clusterTlsFromConfig(config, sources) },
      ...plugins,
      ...accessLog,
    });
    return { status: [cp.status], planes: { cp, pluginSet } };
  }
  // The Admin API reaches the proxy workers' plugin state (proxy-cache purges) once they run.
  let workers: NodePluginAdmin | undefined;
  let balancers: NodeBalancers | undefined;
  // The proxy workers start while the control plane opens its datastore (start-up in parallel,
  // on another core); the data plane's sync stream connects as soon as the control plane's sync
  // hub runs, before its Admin API is built.
  let syncStarted: (connect: ControlPlane['connectInProcess']) => void = () => undefined;
  const hubReady = new Promise<ControlPlane['connectInProcess']>((resolve) => {
    syncStarted = resolve;
  });
  // DB-less with one worker, the proxy runs on this thread: it serves first, and the Admin API is
  // built once it does (or failed to). Forked workers start beside the Admin API instead.
  const workerCount = config.worker_processes === 'auto' ? availableParallelism() : config.worker_processes;
  const proxyOnThisThread = config.database === 'off' && workerCount === 1;
  let proxyStarted: () => void = () => undefined;
  const proxyFirst = new Promise<void>((resolve) => {
    proxyStarted = resolve;
  });
  const cpStarting = startControlPlane({
    ...common,
    sources,
    metrics: metrics.registry,
    cluster: 'in-process',
    onSyncStarted: (connect) => syncStarted(connect),
    ...(proxyOnThisThread ? { adminAfter: proxyFirst } : {}),
    ...plugins,
    ...accessLog,
    nodePlugins: { call: async (plugin, op) => (workers === undefined ? [] : workers.call(plugin, op)) },
    nodeBalancers: { call: async (op) => (balancers === undefined ? { replies: [] } : balancers.call(op)) },
  });
  const { startDataPlane } = await import('@turnpike/data-plane/node');
  const dpStarting = startDataPlane({
    ...common,
    cluster: {
      controlPlane: Promise.race([hubReady, cpStarting.then((cp) => cp.connectInProcess)]).then(
        (connect) => ({
          inProcess: connect,
        }),
      ),
    },
    plugins: loaded.versions,
    logFiles,
    metrics,
    // DB-less, the control plane has no datastore to write and its Admin API is read-only but
    // for `POST /config`: one worker runs in this process (a Node runtime, module graph and heap
    // less), as a data plane's does.
    workerInMainProcess: config.database === 'off',
    // With a database, the proxy's plugins write through the control plane (oauth2's tokens), as
    // Kong's traditional node writes from the proxy; DB-less, they cannot (as Kong's).
    ...(config.database === 'off'
      ? {}
      : {
          writes: {
            write: async (plugin: string, op: unknown) => {
              const started = await cpStarting;
              if (started.writes === undefined) throw new Error('this node has no datastore');
              return started.writes.write(plugin, op);
            },
          },
        }),
  });
  dpStarting.then(proxyStarted, proxyStarted);
  // Both settle before a failure is reported, so the node's stop finds every part they added.
  const [cpSettled, dpSettled] = await Promise.allSettled([cpStarting, dpStarting]);
  if (cpSettled.status === 'rejected') throw cpSettled.reason;
  if (dpSettled.status === 'rejected') throw dpSettled.reason;
  const cp = cpSettled.value;
  const dp = dpSettled.value;
  workers = dp.pluginAdmin;
  balancers = dp.balancers;
  return { status: [cp.status, dp.status], planes: { cp, dp, pluginSet } };
}

/**
 * A data plane's `declarative_config` (or `declarative_config_string`), parsed with the control
 * plane's declarative reader (bin/ is where both planes meet) into the content a snapshot
 * carries, as version 0: any version the control plane sends replaces it.
 */
async function declarativeFallback(
  config: TurnpikeConfig,
  schemas: PluginSchemaLookup,
): Promise<{ config: VersionedConfig; origin: string } | undefined> {
  if (config.declarative_config === undefined && config.declarative_config_string === undefined)
    return undefined;
  const { buildTables, entitySetOf, readInitialDeclarative } = await import('@turnpike/control-plane/dbless');
  const initial = await readInitialDeclarative(config, schemas);
  if (initial === undefined) return undefined;
  const content = configFromEntities(entitySetOf(await buildTables(initial.config)));
  return { config: { version: 0, hash: hashConfig(content), config: content }, origin: initial.origin };
}
