/**
 * createDao: the generic DAO over a Datastore. Each write outside `transaction` is its own
 * transaction that bumps the config version once; inside `transaction`, every write shares one
 * transaction and the version bumps once, when it commits, if anything changed. A throw anywhere
 * rolls everything back, the version included.
 */
import type { EntityName } from '@turnpike/shared/schema';
import { readConfigVersion, recordConfigChanges } from '../store/config-version.ts';
import { createKeyring, type Keyring } from '../store/keyring.ts';
import type { Datastore, Queryable } from '../store/types.ts';
import type { KeyringSource } from './codec.ts';
import { createEntityDao, type DaoRuntime, type WriteContext } from './entity-dao.ts';
import { tableModel } from './model.ts';
import { exportAll, readChanged, type SnapshotReader } from './snapshot-read.ts';
import type { Dao, DaoOptions, EntityDao } from './types.ts';

/**
 * Derived on first use: scrypt costs tens of ms, and a DAO that never touches a secret needs no
 * key. Without a key, none: encrypted fields are stored as given (codec.ts).
 */
function lazyKeyring(secrets: readonly string[]): KeyringSource {
  if (!secrets.some((s) => s !== '')) return () => Promise.resolve(undefined);
  let keyring: Promise<Keyring> | undefined;
  return () => {
    keyring ??= createKeyring(secrets);
    return keyring;
  };
}

async function inTransaction<T>(tx: Queryable, fn: (ctx: WriteContext) => Promise<T>): Promise<T> {
  const ctx: WriteContext = { tx, changes: [] };
  const result = await fn(ctx);
  await recordConfigChanges(tx, ctx.changes);
  return result;
}

function bindDao(runtime: DaoRuntime, transaction: Dao['transaction']): Dao {
  const daos = new Map<EntityName, EntityDao>();
  return {
    entity(name) {
      let dao = daos.get(name);
      if (dao === undefined) {
        dao = createEntityDao(tableModel(name), runtime);
        daos.set(name, dao);
      }
      return dao;
    },
    transaction,
    configVersion: () => readConfigVersion(runtime.read),
  };
}

/** A Dao whose every call runs in one transaction that the outer `transaction` commits. */
function transactionDao(ctx: WriteContext, base: Omit<DaoRuntime, 'read' | 'write'>): Dao {
  const runtime: DaoRuntime = { ...base, read: ctx.tx, write: (fn) => fn(ctx) };
  const dao: Dao = bindDao(runtime, (fn) => fn(dao));
  return dao;
}

export function createDao(datastore: Datastore, options: DaoOptions): Dao & SnapshotReader {
  const keyring = lazyKeyring(options.secrets);
  const base = { keyring, pluginSchemas: options.pluginSchemas };
  const runtime: DaoRuntime = {
    ...base,
    read: datastore,
    write: (fn) => datastore.transaction((tx) => inTransaction(tx, fn)),
  };
  const dao = bindDao(runtime, (fn) =>
    datastore.transaction((tx) => inTransaction(tx, (ctx) => fn(transactionDao(ctx, base)))),
  );
  return {
    ...dao,
    exportAll: (queryable = datastore) => exportAll(queryable, keyring),
    readChanged: (queryable, changes) => readChanged(queryable, keyring, changes),
  };
}
