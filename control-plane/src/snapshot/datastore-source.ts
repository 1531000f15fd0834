/**
 * The snapshot builder: a ConfigSource over the datastore. It loads the whole configuration
 * once, then follows the config version (LISTEN/NOTIFY, with polling as the fallback) and, for
 * each new version, reads only the rows the change log names: version V's content is the
 * previous content plus the delta V-1→V. Several control planes on one database each follow
 * the same log, so a write on any of them reaches the data planes of all.
 */
import type { Logger, Stoppable } from '@turnpike/shared';
import { type ConfigChange, type ConfigContent, configFromEntities } from '@turnpike/shared/sync';
import type { ChangedEntity, SnapshotReader } from '../dao/index.ts';
import {
  CONFIG_CHANNEL,
  changesSince,
  type Datastore,
  type Queryable,
  readConfigVersion,
} from '../store/index.ts';
import type { ChangeSet, ConfigSource, LatestVersion } from './config-source.ts';
import { MemoryConfigSource } from './memory-config-source.ts';

export interface DatastoreConfigSourceOptions {
  readonly datastore: Datastore;
  readonly reader: SnapshotReader;
  readonly log: Logger;
  /** How often to check the version when no notification came (missed NOTIFY, LISTEN down). */
  readonly pollIntervalMs?: number;
  /** Versions of change history kept in memory for data planes that fall behind. */
  readonly maxLogVersions?: number;
}

export interface DatastoreConfigSource extends ConfigSource, Stoppable {
  /** Brings the source up to the database's current version; concurrent calls coalesce. */
  refresh(): Promise<LatestVersion>;
}

/**
 * Reads in one REPEATABLE READ transaction, so the version and the rows agree. The SET goes out
 * with the first read (PostgreSQL's clients pipeline; it runs first all the same): one round trip
 * fewer for each version followed.
 */
function consistentRead<T>(datastore: Datastore, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return datastore.transaction(async (tx) => {
    const isolated = tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    isolated.catch(() => undefined);
    const result = await fn(tx);
    await isolated;
    return result;
  });
}

function toChanges(rows: readonly ChangedEntity[]): ConfigChange[] {
  return rows.map((r) =>
    r.row === undefined
      ? { entity: r.entity, id: r.id, op: 'delete' }
      : { entity: r.entity, id: r.id, op: 'upsert', value: r.row },
  );
}

async function loadAll(
  datastore: Datastore,
  reader: SnapshotReader,
): Promise<{ version: number; config: ConfigContent }> {
  return consistentRead(datastore, async (tx) => {
    const version = await readConfigVersion(tx);
    const entities = await reader.exportAll(tx);
    return { version, config: configFromEntities(entities) };
  });
}

export async function startDatastoreConfigSource(
  options: DatastoreConfigSourceOptions,
): Promise<DatastoreConfigSource> {
  const { datastore, reader, log } = options;
  const initial = await loadAll(datastore, reader);
  const memory = new MemoryConfigSource({
    config: initial.config,
    version: initial.version,
    ...(options.maxLogVersions === undefined ? {} : { maxLogVersions: options.maxLogVersions }),
  });
  log.info({ version: initial.version, hash: memory.latest().hash }, 'configuration loaded');

  let running: Promise<LatestVersion> | undefined;
  let again = false;
  let stopped = false;

  const catchUp = async (): Promise<LatestVersion> => {
    const from = memory.latest().version;
    const next = await consistentRead(datastore, async (tx) => {
      const since = await changesSince(tx, from);
      if (since === undefined) {
        const version = await readConfigVersion(tx);
        return { kind: 'full' as const, version, config: configFromEntities(await reader.exportAll(tx)) };
      }
      if (since.version === from) return undefined;
      const changes = toChanges(await reader.readChanged(tx, since.changes));
      return { kind: 'delta' as const, version: since.version, changes };
    });
    if (next === undefined) return memory.latest();
    // The database went back (restored, reset): start again from what it holds.
    if (next.version < from) {
      log.warn({ from, to: next.version }, 'config version went backwards: reloading everything');
      const reloaded = await loadAll(datastore, reader);
      return memory.replace(reloaded.config, Math.max(from + 1, reloaded.version));
    }
    const latest =
      next.kind === 'full'
        ? memory.replace(next.config, next.version)
        : memory.apply(next.changes, next.version);
    log.debug({ from, version: latest.version, kind: next.kind }, 'configuration version published');
    return latest;
  };

  const refresh = (): Promise<LatestVersion> => {
    if (stopped) return Promise.resolve(memory.latest());
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        let latest = await catchUp();
        while (again && !stopped) {
          again = false;
          latest = await catchUp();
        }
        return latest;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  /**
   * For a data plane older than the history kept in memory (this control plane started after
   * it last synced): the database's change log, when it still reaches back that far, gives a
   * delta instead of a full snapshot. The data plane checks the resulting hash.
   */
  const changesFromLog = async (version: number): Promise<ChangeSet | undefined> => {
    const latest = memory.latest();
    if (version >= latest.version) return undefined;
    const changes = await consistentRead(datastore, async (tx) => {
      const since = await changesSince(tx, version);
      if (since === undefined || since.version !== latest.version) return undefined;
      return toChanges(await reader.readChanged(tx, since.changes));
    });
    return changes === undefined ? undefined : { version: latest.version, hash: latest.hash, changes };
  };

  const follow = () => {
    refresh().catch((err: unknown) => log.error({ err }, 'reading the new configuration version failed'));
  };
  const unlisten = await datastore.listen(CONFIG_CHANNEL, follow, { onReconnect: follow });
  const timer = setInterval(follow, options.pollIntervalMs ?? 5_000);
  timer.unref();
  // A write may have landed between the initial load and LISTEN.
  follow();

  return {
    latest: () => memory.latest(),
    snapshot: () => memory.snapshot(),
    changesSince: async (version: number): Promise<ChangeSet | undefined> =>
      (await memory.changesSince(version)) ?? changesFromLog(version),
    pluginsInUse: () => memory.pluginsInUse(),
    onVersion: (listener) => memory.onVersion(listener),
    refresh,
    name: 'config source',
    async stop() {
      stopped = true;
      clearInterval(timer);
      await unlisten();
      await running?.catch(() => undefined);
    },
  };
}
