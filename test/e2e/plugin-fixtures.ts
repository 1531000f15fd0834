/**
 * Shared by the plugin e2e tests: a proxy in this process serving entities that took the real
 * road — written through the control plane's DAO (validation, defaults, password hashing,
 * secrets at rest) on an embedded PostgreSQL (PGlite, in memory), exported as the snapshot
 * builder exports them, encoded and decoded as the sync stream carries them, then decoded and
 * compiled by the data plane's config apply path.
 */
import assert from 'node:assert/strict';
import { createDao, type Dao } from '@turnpike/control-plane/dao';
import { bootstrap, openDatastore, readConfigVersion } from '@turnpike/control-plane/store';
import { BalancerRegistry } from '@turnpike/data-plane/balancer';
import { ConfigApplier } from '@turnpike/data-plane/config';
import { BUNDLED_PLUGINS, BUNDLED_PLUGINS_DIR } from '@turnpike/data-plane/plugins/bundled';
import { DEFAULT_SETTINGS, type ProxySettings, startProxy } from '@turnpike/data-plane/proxy';
import type { Runtime } from '@turnpike/data-plane/runtime';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import { configRecord, definePluginSchema, type PluginHandler } from '@turnpike/plugin-sdk';
import { createLogger, type Logger } from '@turnpike/shared';
import { type LoadedPlugins, loadPlugins } from '@turnpike/shared/plugins';
import type { EntityName, PluginSchema, PluginSchemaLookup } from '@turnpike/shared/schema';
import {
  configFromEntities,
  decodeSnapshotPayload,
  encodeSnapshotPayload,
  hashConfig,
  type VersionedConfig,
} from '@turnpike/shared/sync';

export type Entities = Partial<Record<EntityName, Record<string, unknown>[]>>;

/** The order the DAO is written in: every entity after those it references. */
const WRITE_ORDER: readonly EntityName[] = [
  'services',
  'routes',
  'consumers',
  'upstreams',
  'targets',
  'certificates',
  'snis',
  'ca_certificates',
  'plugins',
  'keyauth_credentials',
  'basicauth_credentials',
  'jwt_secrets',
  'hmacauth_credentials',
  'oauth2_credentials',
  'oauth2_tokens',
  'oauth2_credentials',
  'oauth2_tokens',
  'acls',
];

/** A plugin instance on one route. */
export function plugin(name: string, routeId: string, config: Record<string, unknown> = {}) {
  return { id: crypto.randomUUID(), name, route: { id: routeId }, config };
}

/** The bundled plugins, handlers and schemas, as a data plane loads them. */
export function bundledPlugins(): Promise<LoadedPlugins> {
  return loadPlugins({
    enabled: ['bundled'],
    pluginPaths: [],
    bundledDir: BUNDLED_PLUGINS_DIR,
    bundled: BUNDLED_PLUGINS,
    want: 'handler+schema',
  });
}

/** A test plugin's schema: it takes no configuration. */
function emptySchema(name: string): PluginSchema {
  return definePluginSchema({ name, fields: { config: configRecord({}) } });
}

/** A control plane's store (PGlite in memory) and what it would sync. */
export interface SyncedStore extends AsyncDisposable {
  readonly dao: Dao;
  /** Writes each entity through the DAO (ids as given), referenced ones first. */
  write(entities: Entities): Promise<void>;
  /** The configuration as synced now: exported, snapshot-encoded and decoded again. */
  snapshot(): Promise<VersionedConfig>;
}

export async function syncedStore(schemas: PluginSchemaLookup): Promise<SyncedStore> {
  const datastore = await openDatastore({ kind: 'memory' });
  await bootstrap(datastore, createLogger({ level: 'silent' }));
  const dao = createDao(datastore, { pluginSchemas: schemas, secrets: ['plugin-e2e-secret'] });
  return {
    dao,
    async write(entities) {
      for (const type of WRITE_ORDER) {
        for (const input of entities[type] ?? []) await dao.entity(type).insert(input);
      }
    },
    async snapshot() {
      const version = await readConfigVersion(datastore);
      const wire = await encodeSnapshotPayload(configFromEntities(await dao.exportAll()), {
        maxPayload: Number.MAX_SAFE_INTEGER,
      });
      const config = decodeSnapshotPayload(wire, { maxPayload: Number.MAX_SAFE_INTEGER });
      return { version, hash: hashConfig(config), config };
    },
    [Symbol.asyncDispose]: () => datastore.close(),
  };
}

/** The configuration a control plane would sync for `entities` (see SyncedStore). */
export async function syncedConfig(
  entities: Entities,
  schemas: PluginSchemaLookup,
): Promise<VersionedConfig> {
  await using store = await syncedStore(schemas);
  await store.write(entities);
  // Awaited here: the store closes when this function returns.
  return await store.snapshot();
}

export interface PluginProxy extends AsyncDisposable {
  readonly port: number;
  readonly runtime: Runtime;
}

/**
 * A proxy in this process serving `entities` (see the file comment) with the loaded plugins'
 * handlers, and `extra` test handlers in place of or beside them: a test plugin without a
 * schema of its own gets one that takes no configuration.
 */
export async function pluginProxy(
  plugins: LoadedPlugins,
  entities: Entities,
  extra: ReadonlyMap<string, PluginHandler> = new Map(),
  options: { settings?: ProxySettings; log?: Logger } = {},
): Promise<PluginProxy> {
  const handlers = new Map<string, PluginHandler>();
  for (const [name, loaded] of plugins.plugins)
    if (loaded.handler !== undefined) handlers.set(name, loaded.handler);
  for (const [name, handler] of extra) handlers.set(name, handler);
  const schemas: PluginSchemaLookup = (name) =>
    plugins.schemas(name) ?? (extra.has(name) ? emptySchema(name) : undefined);
  const config = await syncedConfig(entities, schemas);

  const pools = new UpstreamPools();
  // Upstreams and targets are balanced as a worker balances them (IP targets: no DNS to wait for).
  const balancers = new BalancerRegistry();
  const log = options.log ?? createLogger({ level: 'silent' });
  const applier = new ConfigApplier({ dispatchers: pools, balancers, plugins: { handlers, schemas, log } });
  const runtime = applier.apply(config);
  assert.deepEqual(runtime.problems, []);
  await balancers.settled();
  const proxy = await startProxy({
    listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
    holder: applier.runtime,
    settings: options.settings ?? DEFAULT_SETTINGS,
    log,
  });
  return {
    port: proxy.ports[0]!,
    runtime,
    async [Symbol.asyncDispose]() {
      await proxy.stop('now', Date.now());
      await balancers.stop();
      await pools.close();
    },
  };
}
