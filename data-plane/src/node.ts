/**
 * A data plane, wired: the main process holds the one sync stream and the cache file, and forks
 * `worker_processes` proxy workers (node:cluster) that share the listeners. Every configuration
 * (as a delta when the worker holds the version it builds on) is sent to every worker; it is
 * Acked when all of them swapped, Nacked (all kept on the previous
 * version) when one refused. The data plane never touches a database.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeBalancers, UpstreamHealthReport } from '@turnpike/shared';
import {
  type Lifecycle,
  type Logger,
  type NodeMetrics,
  type StatusSource,
  TURNPIKE_VERSION,
} from '@turnpike/shared';
import type { LogFiles } from '@turnpike/shared/access-log';
import type { ClusterChannelOptions } from '@turnpike/shared/cluster';
import { type TurnpikeConfig, toPinoLevel } from '@turnpike/shared/config';
import type { NodePluginAdmin, NodePluginWrites } from '@turnpike/shared/plugins';
import type { VersionedConfig } from '@turnpike/shared/sync';
import { readResolverSettings } from './balancer/index.ts';
import { registerDataPlaneMetrics, workerMetricsText } from './observability/node-metrics.ts';
import { defaultProxyCertificate, proxySettingsFromConfig, proxyTlsFromConfig } from './proxy/index.ts';
import {
  type ControlPlaneLink,
  type InProcessConnect,
  type SyncClientEvent,
  startSyncClient,
} from './sync/index.ts';
import { VersionWaiter } from './version-waiter.ts';
import {
  clusterSpawner,
  sizedSpawner,
  WorkerPool,
  type WorkerSettings,
  workerCount,
} from './workers/index.ts';

/** How long a plugin's write waits for the workers to run it before it is answered anyway. */
const WRITE_VISIBLE_WAIT_MS = 5_000;

/** The file in the prefix where the last applied configuration is kept. */
export const CONFIG_CACHE_FILE = 'config.cache';

export interface DataPlaneOptions {
  readonly config: TurnpikeConfig;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly nodeId: string;
  readonly hostname: string;
  /**
   * The control plane: `cluster_control_plane` over gRPC with `clusterTls`; or, in a traditional
   * node, `controlPlane`, the control plane of this process (a promise: the workers start while
   * it still starts, the sync stream waits for it).
   */
  readonly cluster:
    | { readonly clusterTls: ClusterChannelOptions }
    | { readonly controlPlane: Promise<{ readonly inProcess: InProcessConnect }> };
  /**
   * With `worker_processes = 1`, run that worker in this process instead of forking it
   * (workers/sized-spawn.ts; a reload to more workers forks them): a data plane, and a DB-less
   * traditional node (its control plane writes nothing but `POST /config`). A traditional node
   * with a database keeps its worker apart from the control plane's event loop.
   */
  readonly workerInMainProcess?: boolean;
  /** `declarative_config`: served when there is no cache file, until the control plane answers. */
  readonly declarative?: { readonly config: VersionedConfig; readonly origin: string };
  /** The plugins this node runs, announced in the sync Hello (the CP refuses a DP lacking one in use). */
  readonly plugins?: readonly { readonly name: string; readonly version: string }[];
  /** The node's log files: the data plane asks its workers to reopen theirs with them. */
  readonly logFiles?: LogFiles;
  /** The status listener's `/metrics`: the data plane adds its workers' series, aggregated. */
  readonly metrics?: NodeMetrics;
  /**
   * A traditional node's control plane, for the writes plugins make from the proxy (oauth2's
   * tokens): each is answered once every worker runs the version holding it (./version-waiter.ts).
   */
  readonly writes?: NodePluginWrites;
}

export interface DataPlane {
  readonly status: StatusSource;
  /**
   * A reload's new configuration, checked already: when what workers start with changed
   * (listeners, plugins, pools, DNS, `worker_processes` …), a rolling replacement of the workers
   * (WorkerPool.replace); a worker that cannot start fails it and the old workers keep serving.
   */
  reconfigure(next: TurnpikeConfig, plugins?: readonly { name: string; version: string }[]): Promise<void>;
  /** Whether changing `key` from `current` to `next` changes what workers start with (a reload applies it). */
  changesWorkers(current: TurnpikeConfig, next: TurnpikeConfig, key: keyof TurnpikeConfig): Promise<boolean>;
  readonly proxyPorts: readonly number[];
  /** The proxy workers' plugin state, for the node's Admin API (a traditional node's). */
  readonly pluginAdmin: NodePluginAdmin;
  /** The proxy workers' balancers, for the node's Admin API (upstream health endpoints). */
  readonly balancers: NodeBalancers;
}

/**
 * How long a start waits for the control plane's first answer when no cache file gave a
 * configuration: the workers need an IPC round trip to swap it in, and "started" should mean
 * "serving what the control plane holds" whenever the control plane answers at once.
 */
const FIRST_CONFIG_WAIT_MS = 5_000;

/** Resolves on the sync client's first outcome: a configuration applied or rejected, or no stream. */
function firstOutcome(): { onEvent: (event: SyncClientEvent) => void; settled: Promise<void> } {
  const { promise, resolve } = Promise.withResolvers<void>();
  const onEvent = (event: SyncClientEvent): void => {
    const settles =
      event.type === 'applied' ||
      event.type === 'rejected' ||
      event.type === 'refused' ||
      event.type === 'disconnected';
    if (settles) resolve();
  };
  return { onEvent, settled: promise };
}

/** What every worker is started with, decided here once so that all of them serve alike. */
async function workerSettings(
  config: TurnpikeConfig,
  workers: number,
  nodeId: string,
): Promise<WorkerSettings> {
  const needsTls = [...config.proxy_listen, ...config.stream_listen].some((entry) => entry.ssl);
  // One default certificate for the node, not one per worker.
  const tls = needsTls
    ? ((await proxyTlsFromConfig(config)) ?? (await defaultProxyCertificate()))
    : undefined;
  return {
    logLevel: toPinoLevel(config.log_level),
    listen: config.proxy_listen,
    streamListen: config.stream_listen,
    proxy: proxySettingsFromConfig(config),
    tls: tls === undefined ? undefined : { cert: tls.cert, key: tls.key },
    pools: {
      keepalivePoolSize: config.upstream_keepalive_pool_size,
      keepaliveMaxRequests: config.upstream_keepalive_max_requests,
      keepaliveIdleTimeout: config.upstream_keepalive_idle_timeout,
    },
    plugins: { enabled: config.plugins, pluginPaths: config.plugin_paths },
    dns: {
      staleTtl: config.dns_stale_ttl,
      errorTtl: config.dns_error_ttl,
      notFoundTtl: config.dns_not_found_ttl,
    },
    resolver: await readResolverSettings(config),
    // `expressions` never gets here: the configuration refuses it (shared/src/config/rules.ts).
    routerFlavor: config.router_flavor === 'traditional' ? 'traditional' : 'traditional_compatible',
    workers,
    memCacheSize: config.mem_cache_size,
    nodeId,
    logs: {
      prefix: config.prefix,
      accessLog: config.proxy_access_log,
      accessLogFormat: config.proxy_access_log_format,
      errorLog: config.proxy_error_log,
    },
  };
}

export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const { config, log, lifecycle } = options;
  const count = workerCount(config.worker_processes, availableParallelism());
  const applied = new VersionWaiter();
  const writes = options.writes;
  const withWrites = (settings: WorkerSettings): WorkerSettings =>
    writes === undefined ? settings : { ...settings, datastore: true };
  const pool = new WorkerPool({
    count,
    spawn: options.workerInMainProcess === true ? sizedSpawner() : clusterSpawner(),
    settings: withWrites(await workerSettings(config, count, options.nodeId)),
    log,
    ...(writes === undefined
      ? {}
      : {
          datastore: async (plugin: string, op: unknown) => {
            const { reply, version } = await writes.write(plugin, op);
            if (version > 0 && !(await applied.reached(version, WRITE_VISIBLE_WAIT_MS))) {
              log.warn(
                { plugin, version, waited_ms: WRITE_VISIBLE_WAIT_MS },
                'a plugin write is stored but the proxy workers do not run it yet',
              );
            }
            return reply;
          },
        }),
  });
  lifecycle.add(pool);
  options.logFiles?.onReopen(() => pool.reopenLogs());
  if (options.metrics !== undefined) options.metrics.add(() => workerMetricsText(pool));
  await pool.start();
  log.info({ ports: pool.ports, workers: pool.workers().length }, 'proxy listeners started');

  const cluster = options.cluster;
  const link: ControlPlaneLink =
    'controlPlane' in cluster
      ? await cluster.controlPlane
      : { address: config.cluster_control_plane, tls: cluster.clusterTls };
  const first = firstOutcome();
  const sync = await startSyncClient({
    ...link,
    nodeId: options.nodeId,
    hostname: options.hostname,
    turnpikeVersion: TURNPIKE_VERSION,
    plugins: [...(options.plugins ?? [])],
    cacheFile: join(config.prefix, CONFIG_CACHE_FILE),
    ...(options.declarative === undefined ? {} : { fallback: options.declarative }),
    log,
    // Resolves when every worker swapped; a throw (one refused) becomes the Nack. Workers on the
    // previous version get the delta only; the others the whole configuration.
    apply: async (next, delta) => {
      await pool.apply(next, delta);
      applied.reach(next.version);
    },
    maxPayload: config.cluster_max_payload,
    backoff: { maxMs: config.cluster_max_reconnect_delay * 1000 },
    onEvent: first.onEvent,
    // A hybrid data plane tells its control plane what its balancers see (Kong's cannot); a
    // traditional node's control plane asks the workers itself.
    ...(config.role === 'data_plane'
      ? {
          balancers: {
            report: async () => {
              const answer = await pool.balancerAdmin({ op: 'report' });
              return (answer.replies[0] as readonly UpstreamHealthReport[] | undefined) ?? [];
            },
            setHealth: (op) => pool.balancerAdmin(op),
            onChanged: (listener) => pool.onHealthChanged(listener),
          },
        }
      : {}),
  });
  lifecycle.add({ name: 'sync client', stop: async () => sync.stop() });
  // Kong's data-plane-only series (a traditional node's control plane reports the datastore).
  if (options.metrics !== undefined && config.role === 'data_plane') {
    registerDataPlaneMetrics(options.metrics.registry, { connected: () => sync.state().connected });
  }
  if (!sync.state().hasConfig) {
    const waited = new AbortController();
    await Promise.race([
      first.settled,
      sleep(FIRST_CONFIG_WAIT_MS, undefined, { signal: waited.signal }).catch(() => {}),
    ]);
    waited.abort();
  }

  let settings = JSON.stringify(withWrites(await workerSettings(config, count, options.nodeId)));
  let workersNow = count;
  const reconfigure = async (
    next: TurnpikeConfig,
    plugins?: readonly { name: string; version: string }[],
  ) => {
    const nextCount = workerCount(next.worker_processes, availableParallelism());
    const nextSettings = withWrites(await workerSettings(next, nextCount, options.nodeId));
    const text = JSON.stringify(nextSettings);
    if (text === settings && nextCount === workersNow) return;
    await pool.replace(nextSettings, nextCount);
    settings = text;
    workersNow = nextCount;
    if (plugins !== undefined) sync.setPlugins(plugins);
  };

  const changesWorkers = async (current: TurnpikeConfig, next: TurnpikeConfig, key: keyof TurnpikeConfig) => {
    const changed = { ...current, [key]: next[key] } as TurnpikeConfig;
    const before = workerCount(current.worker_processes, availableParallelism());
    const after = workerCount(changed.worker_processes, availableParallelism());
    if (before !== after) return true;
    const a = JSON.stringify(await workerSettings(current, before, options.nodeId));
    return a !== JSON.stringify(await workerSettings(changed, after, options.nodeId));
  };

  return {
    reconfigure,
    changesWorkers,
    proxyPorts: pool.ports,
    pluginAdmin: { call: (plugin, op) => pool.pluginAdmin(plugin, op) },
    balancers: { call: (op) => pool.balancerAdmin(op) },
    status: {
      name: 'data_plane',
      status: () => {
        const state = sync.state();
        return {
          config_version: state.version,
          config_hash: state.hash,
          connected: state.connected,
          workers: pool.workers(),
          ...(state.incompatible === undefined ? {} : { missing_plugins: state.incompatible.missing }),
        };
      },
      notReadyReason: () => {
        const state = sync.state();
        // Serving the last good configuration, but unable to follow the control plane's.
        if (state.incompatible !== undefined) return `plugin_set_incompatible: ${state.incompatible.message}`;
        return state.hasConfig ? pool.notReadyReason() : 'no configuration yet';
      },
    },
  };
}
