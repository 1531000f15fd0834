/**
 * A control plane, wired: datastore → migrations → DAO → snapshot builder → sync hub (a gRPC
 * cluster listener, or in-process for a traditional node) → Admin API listeners. Each part
 * registers with the Lifecycle in start order, so a stop closes the listeners first and the
 * datastore last.
 */
import { randomBytes } from 'node:crypto';
import type { NodeBalancers } from '@turnpike/shared';
import {
  ConfigInvalidError,
  type Lifecycle,
  type Logger,
  MigrationsError,
  type StatusSource,
  TURNPIKE_VERSION,
} from '@turnpike/shared';
import { type LogWriter, logServerAccess } from '@turnpike/shared/access-log';
import type { ClusterTlsOptions } from '@turnpike/shared/cluster';
import {
  type ConfigSources,
  type DatastoreTarget,
  type ListenEntry,
  resolveDatastore,
  type TurnpikeConfig,
} from '@turnpike/shared/config';
import {
  type AvailablePlugin,
  type NodePluginAdmin,
  type NodePluginWrites,
  pluginsNotEnabled,
} from '@turnpike/shared/plugins';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import type { Registry } from 'prom-client';
import { clientErrorAnswer } from './admin/client-error.ts';
import { ConnectionStats } from './admin/connections.ts';
import { adminHeaderFlags, serverToken } from './admin/headers.ts';
import { adminGuiOrigins } from './admin-gui/origins.ts';
import { startAdminGui } from './admin-gui/server.ts';
import { AdminListeners, type ListenerChange } from './admin-listeners.ts';
import { startClusterFeed } from './cluster-view/feed.ts';
import { createDao, type Dao, type SnapshotReader } from './dao/index.ts';
import { readInitialDeclarative } from './dbless/initial.ts';
import { createMemoryDao } from './dbless/memory-dao.ts';
import { DblessState } from './dbless/state.ts';
import { pluginWrites } from './plugin-writes/index.ts';
import { type ConfigSource, startDatastoreConfigSource } from './snapshot/index.ts';
import {
  bootstrap,
  type Datastore,
  openDatastore,
  type RecentConfigChange,
  recentConfigChanges,
  status,
  up,
} from './store/index.ts';
import { startSyncHub } from './sync/hub.ts';
import { type DataPlaneEnd, inProcessConnector } from './sync/in-process.ts';
import { registerKongControlPlaneMetrics } from './sync/kong-metrics.ts';
import type { DataPlaneRegistry } from './sync/registry.ts';

export interface ControlPlaneOptions {
  readonly config: TurnpikeConfig;
  readonly sources: ConfigSources;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly nodeId: string;
  readonly hostname: string;
  /**
   * The cluster listener's TLS; and where it listens, default `cluster_listen`. `in-process`
   * (a traditional node): no listener, the data plane of this process connects through
   * `ControlPlane.connectInProcess`.
   */
  readonly cluster:
    | {
        readonly tls: ClusterTlsOptions;
        readonly listen?: { readonly host: string; readonly port: number };
      }
    | 'in-process';
  readonly pluginSchemas: PluginSchemaLookup;
  readonly pluginsAvailable: readonly AvailablePlugin[];
  readonly metrics?: Registry;
  /** admin_access_log's writer: one `combined` line per Admin API request. */
  readonly adminAccessLog?: LogWriter;
  /** A traditional node's proxy workers, for plugin Admin endpoints (proxy-cache's purges). */
  readonly nodePlugins?: NodePluginAdmin;
  /**
   * The proxy workers' balancers (a traditional node), for the upstream health endpoints; a
   * control plane uses its data planes' (sync/cluster-balancers.ts).
   */
  readonly nodeBalancers?: NodeBalancers;
  /**
   * Called once the sync hub runs, before the Admin API is built: an in-process data plane
   * connects then and serves while the Admin API's modules load (`connectInProcess`).
   */
  readonly onSyncStarted?: (connectInProcess: () => DataPlaneEnd) => void;
  /**
   * The Admin API is built once this settles: a traditional node's proxy, which then serves
   * before the Admin API's modules load (and the Admin API takes no write while the proxy
   * workers are still starting).
   */
  readonly adminAfter?: Promise<unknown>;
}

export interface ControlPlane {
  readonly status: StatusSource;
  /** The sync server's port (useful when it was 0); undefined in-process. */
  readonly clusterPort: number | undefined;
  /** Opens a sync stream from a data plane of this process (a traditional node's). */
  readonly connectInProcess: () => DataPlaneEnd;
  readonly adminPorts: readonly number[];
  readonly registry: DataPlaneRegistry;
  /** The plugins the configuration uses (a reload's "in use but not enabled" check). */
  pluginsInUse(): readonly string[];
  /** A reload's `admin_listen`: opens what it adds now, closes what it removes at `commit`. */
  reconcileAdminListeners(entries: readonly ListenEntry[]): Promise<ListenerChange>;
  /** The writes a traditional node's proxy makes (oauth2's tokens); undefined DB-less. */
  readonly writes: NodePluginWrites | undefined;
}

/** Where the control plane's configuration lives: a datastore, or (DB-less) memory. */
interface Backend {
  readonly dao: Dao & SnapshotReader;
  readonly source: ConfigSource;
  readonly reachable: () => boolean;
  /** Reads the datastore now (readiness, `GET /status`). */
  readonly probe: () => Promise<boolean>;
  readonly recentChanges: (versions: number, perVersion: number) => Promise<RecentConfigChange[]>;
  readonly dbless?: DblessState;
  /** The proxy's writes (a traditional node with a database); none DB-less, as Kong's cannot write. */
  readonly writes?: NodePluginWrites;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { config, log, lifecycle } = options;
  const target = resolveDatastore(config, options.sources);
  const backend = target.kind === 'off' ? await openDbless(options) : await openBackend(options, target);
  const { dao, source } = backend;
  refusePluginsNotEnabled(
    source.pluginsInUse(),
    options.pluginsAvailable.map((p) => p.name),
    options.sources.plugins,
  );

  const sync = await startSync(options, source);
  lifecycle.add({ name: 'sync server', stop: () => sync.stop() });
  options.onSyncStarted?.(sync.connectInProcess);

  // kong_datastore_reachable reads the backend's probe (DB-less: always reachable).
  if (options.metrics !== undefined) {
    registerKongControlPlaneMetrics(options.metrics, sync.registry, backend.probe);
  }
  const clusterEvents = startClusterFeed({
    registry: sync.registry,
    source,
    recentChanges: backend.recentChanges,
    log,
  });
  let guiOrigins: readonly string[] = [];
  const connections = new ConnectionStats();
  const nodeBalancers =
    options.nodeBalancers ?? (config.role === 'control_plane' ? sync.balancers : undefined);
  // Loaded here, not with this module: fastify, its validators and the routes are most of the
  // control plane's module graph, which an in-process data plane does not wait for.
  if (options.adminAfter !== undefined) await options.adminAfter.catch(() => undefined);
  const { buildAdminApi } = await import('./admin/server.ts');
  const admin = buildAdminApi({
    dao,
    log,
    config,
    nodeId: options.nodeId,
    hostname: options.hostname,
    version: TURNPIKE_VERSION,
    pluginsAvailable: options.pluginsAvailable,
    pluginSchemas: options.pluginSchemas,
    datastoreReachable: backend.probe,
    ...(backend.dbless === undefined ? {} : { dbless: backend.dbless }),
    clustering: sync.registry,
    clusterEvents,
    corsOrigins: () => guiOrigins,
    connections,
    ...(options.nodePlugins === undefined ? {} : { nodePlugins: options.nodePlugins }),
    // A traditional node's own workers; a hybrid control plane's data planes, as they report.
    ...(nodeBalancers === undefined ? {} : { nodeBalancers }),
  });
  await admin.ready();
  lifecycle.add({ name: 'admin api', stop: () => admin.close() });
  const adminPorts: number[] = [];
  const adminTls = { certs: config.admin_ssl_cert, keys: config.admin_ssl_cert_key };
  const firstPort = { http: undefined as number | undefined, https: undefined as number | undefined };
  const clientError = clientErrorAnswer(
    adminHeaderFlags(config.headers).server ? serverToken(TURNPIKE_VERSION) : undefined,
  );
  const adminListeners = new AdminListeners({
    tls: adminTls,
    handler: (req, res) => admin.routing(req, res),
    clientError,
    onServer: (server) => {
      connections.track(server);
      if (options.adminAccessLog !== undefined) logServerAccess(server, options.adminAccessLog);
    },
    lifecycle,
    log,
  });
  await adminListeners.start(config.admin_listen);
  for (const { entry, port } of adminListeners.entries) {
    adminPorts.push(port);
    firstPort[entry.ssl ? 'https' : 'http'] ??= port;
  }
  // Stopped before the admin listeners: it ends the event streams that would hold a drain open.
  lifecycle.add(clusterEvents);
  const gui = await startAdminGui({
    config,
    log,
    lifecycle,
    version: TURNPIKE_VERSION,
    adminPorts: firstPort,
  });
  guiOrigins = adminGuiOrigins(config, gui.listeners);

  return {
    writes: backend.writes,
    pluginsInUse: () => source.pluginsInUse(),
    reconcileAdminListeners: (entries) => adminListeners.reconcile(entries),
    clusterPort: sync.port,
    connectInProcess: sync.connectInProcess,
    adminPorts,
    registry: sync.registry,
    status: {
      name: 'control_plane',
      status: () => ({
        config_version: source.latest().version,
        config_hash: source.latest().hash,
        database: backend.dbless === undefined ? { reachable: backend.reachable() } : 'off',
        data_planes: sync.registry.list().length,
      }),
      // Kong's words (kong/status/ready.lua).
      notReadyReason: () => (backend.reachable() ? undefined : 'failed to connect to database'),
    },
  };
}

/**
 * The sync hub, fed by a gRPC cluster listener — or, `in-process`, by this process's data plane
 * alone: then neither grpc-js, the proto runtime nor the certificate code is loaded.
 */
async function startSync(options: ControlPlaneOptions, source: ConfigSource) {
  const { config, log } = options;
  const hubOptions = {
    source,
    log,
    turnpikeVersion: TURNPIKE_VERSION,
    maxPayload: config.cluster_max_payload,
    purgeDelaySeconds: config.cluster_data_plane_purge_delay,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  };
  const cluster = options.cluster;
  if (cluster === 'in-process') {
    const hub = startSyncHub(hubOptions);
    return {
      port: undefined,
      registry: hub.registry,
      balancers: hub.balancers,
      connectInProcess: inProcessConnector(hub),
      stop: async () => hub.stop(),
    };
  }
  const listen = cluster.listen ?? config.cluster_listen[0];
  if (listen === undefined) {
    throw new ConfigInvalidError([
      {
        key: 'cluster_listen',
        source: options.sources.cluster_listen,
        message: 'a control plane needs a cluster listener',
      },
    ]);
  }
  const { startSyncServer } = await import('./sync/server.ts');
  const server = await startSyncServer({
    ...hubOptions,
    host: listen.host,
    port: listen.port,
    tls: cluster.tls,
  });
  return { ...server, connectInProcess: inProcessConnector(server.hub) };
}

async function openBackend(
  options: ControlPlaneOptions,
  target: Exclude<DatastoreTarget, { kind: 'off' }>,
): Promise<Backend> {
  const { config, log, lifecycle } = options;
  const datastore = await openDatastore(target, { log });
  lifecycle.add({ name: 'datastore', stop: () => datastore.close() });
  await prepareSchema(datastore, target.kind === 'memory', config.run_migrations, log);

  const secrets = secretsFor(config, target.kind === 'memory', log);
  const dao = createDao(datastore, { pluginSchemas: options.pluginSchemas, secrets });
  // Kong's db_update_frequency: how soon a change another writer made without NOTIFY is seen.
  const pollIntervalMs = config.db_update_frequency * 1000;
  const source = await startDatastoreConfigSource({ datastore, reader: dao, log, pollIntervalMs });
  lifecycle.add(source);
  // Readiness reads the datastore's health, which connection errors update at once.
  const { health } = datastore;
  return {
    dao,
    source,
    writes: pluginWrites(dao, datastore),
    reachable: () => health.reachable,
    probe: async () => {
      if (!health.reachable) return false;
      try {
        await datastore.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    recentChanges: (versions, perVersion) => recentConfigChanges(datastore, versions, perVersion),
  };
}

/**
 * DB-less (`database = off`): no datastore at all. The declarative file is the whole
 * configuration, held in memory and replaced by `POST /config`; entity writes are refused.
 */
async function openDbless(options: ControlPlaneOptions): Promise<Backend> {
  const state = new DblessState();
  const initial = await readInitialDeclarative(options.config, options.pluginSchemas);
  if (initial !== undefined) {
    await state.load(initial.config, initial.text);
    options.log.info(
      { origin: initial.origin, version: state.version(), hash: state.configurationHash() },
      'declarative config loaded',
    );
  }
  return {
    dao: createMemoryDao(state),
    source: state.source,
    reachable: () => true,
    probe: async () => true,
    recentChanges: async () => [],
    dbless: state,
  };
}

/**
 * Kong's start-up check (runloop build_plugins_iterator("init"): "error building initial plugins"):
 * a stored plugin instance of a plugin this node does not enable stops the start, rather than a
 * node that starts and is never ready. Removing a plugin is three steps: delete its instances,
 * remove it from `plugins`, uninstall it. Kong's hybrid control plane skips this check; Turnpike's
 * makes it too, since its data planes would refuse the configuration all the same.
 */
function refusePluginsNotEnabled(inUse: readonly string[], enabled: readonly string[], source: string): void {
  const problems = pluginsNotEnabled(inUse, new Set(enabled));
  if (problems.length > 0) {
    throw new ConfigInvalidError(problems.map((message) => ({ key: 'plugins', source, message })));
  }
}

/**
 * In memory the database is new at every start, so it is bootstrapped; elsewhere migrations
 * run only when asked (`run_migrations`, `--run-migrations`), as Kratos's `serve` does, and a
 * database that is behind stops the start with Kong's message.
 */
async function prepareSchema(
  db: Datastore,
  inMemory: boolean,
  runMigrations: boolean,
  log: Logger,
): Promise<void> {
  const state = await status(db);
  if (state.needsBootstrap) {
    if (inMemory || runMigrations) {
      await bootstrap(db, log);
      return;
    }
    throw new MigrationsError(
      'Database needs bootstrapping or is older than Turnpike 0.1: run `turnpike migrations bootstrap`, or start with --run-migrations',
    );
  }
  if (state.upToDate) return;
  if (runMigrations) {
    await up(db, log);
    return;
  }
  throw new MigrationsError(
    'Database has new migrations available: run `turnpike migrations up`, or start with --run-migrations',
  );
}

/** `secrets_default`; an in-memory database gets a random one, since nothing it encrypts outlives the process. */
function secretsFor(config: TurnpikeConfig, inMemory: boolean, log: Logger): readonly string[] {
  if (config.secrets_default.length > 0) return config.secrets_default;
  if (inMemory) return [randomBytes(32).toString('base64url')];
  // As Kong, which keeps a certificate's key as given: encrypted at rest only once a key is set.
  log.warn('secrets_default is not set: certificate keys and other sensitive fields are stored unencrypted');
  return [];
}
