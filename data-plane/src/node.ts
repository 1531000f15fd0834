/**
 * A data plane, wired: runtime holder → proxy listeners → sync client. The data plane never
 * touches a database: its configuration arrives over the sync stream (or from its cache file
 * when the control plane is away), is compiled into a Runtime and swapped in whole.
 */
import { join } from 'node:path';
import { type Lifecycle, type Logger, type StatusSource, TURNPIKE_VERSION } from '@turnpike/shared';
import type { ClusterChannelOptions } from '@turnpike/shared/cluster';
import type { TurnpikeConfig } from '@turnpike/shared/config';
import type { ConfigContent, VersionedConfig } from '@turnpike/shared/sync';
import { proxySettingsFromConfig, startProxy } from './proxy/index.ts';
import type { RouteConfig } from './router/index.ts';
import {
  compileRuntime,
  type ProxyServiceConfig,
  type RuntimeConfig,
  RuntimeHolder,
} from './runtime/index.ts';
import { startSyncClient } from './sync/index.ts';
import { UpstreamPools } from './upstream/index.ts';

/** The file in the prefix where the last applied configuration is kept. */
export const CONFIG_CACHE_FILE = 'config.cache';

export interface DataPlaneOptions {
  readonly config: TurnpikeConfig;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly nodeId: string;
  readonly hostname: string;
  readonly clusterTls: ClusterChannelOptions;
  /** The control plane's host:port; default `cluster_control_plane`. */
  readonly controlPlane?: string;
}

export interface DataPlane {
  readonly status: StatusSource;
  readonly proxyPorts: readonly number[];
}

function entitiesOf<T>(content: ConfigContent, type: string): T[] {
  const byId = content.get(type);
  return byId === undefined ? [] : ([...byId.values()] as T[]);
}

/** The entities the runtime compiles, from one synced configuration. */
export function runtimeConfigOf(versioned: Pick<VersionedConfig, 'version' | 'config'>): RuntimeConfig {
  return {
    version: versioned.version,
    services: entitiesOf<ProxyServiceConfig>(versioned.config, 'services'),
    routes: entitiesOf<RouteConfig>(versioned.config, 'routes'),
  };
}

export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const { config, log, lifecycle } = options;
  const pools = new UpstreamPools({
    keepalivePoolSize: config.upstream_keepalive_pool_size,
    keepaliveMaxRequests: config.upstream_keepalive_max_requests,
    keepaliveIdleTimeout: config.upstream_keepalive_idle_timeout,
  });
  lifecycle.add({ name: 'upstream pools', stop: () => pools.close() });
  const holder = new RuntimeHolder(
    compileRuntime({ version: 0, services: [], routes: [] }, { dispatchers: pools }),
  );

  const proxy = await startProxy({
    listen: config.proxy_listen,
    holder,
    log,
    settings: proxySettingsFromConfig(config),
  });
  lifecycle.add(proxy);
  log.info({ ports: proxy.ports }, 'proxy listeners started');

  // Compile, then swap in one assignment; a compile that throws becomes the sync client's NACK.
  const apply = (next: VersionedConfig): void => {
    const started = performance.now();
    const runtime = compileRuntime(runtimeConfigOf(next), { dispatchers: pools });
    for (const problem of runtime.problems) log.warn({ version: next.version, ...problem }, 'route skipped');
    holder.swap(runtime);
    log.debug(
      { version: next.version, compile_ms: Math.round(performance.now() - started) },
      'runtime compiled',
    );
  };
  const sync = await startSyncClient({
    address: options.controlPlane ?? config.cluster_control_plane,
    tls: options.clusterTls,
    nodeId: options.nodeId,
    hostname: options.hostname,
    turnpikeVersion: TURNPIKE_VERSION,
    plugins: [],
    cacheFile: join(config.prefix, CONFIG_CACHE_FILE),
    log,
    apply,
    maxPayload: config.cluster_max_payload,
  });
  lifecycle.add({ name: 'sync client', stop: async () => sync.stop() });

  return {
    proxyPorts: proxy.ports,
    status: {
      name: 'data_plane',
      status: () => {
        const state = sync.state();
        return { config_version: state.version, config_hash: state.hash, connected: state.connected };
      },
      notReadyReason: () => (sync.state().hasConfig ? undefined : 'no configuration yet'),
    },
  };
}
