export {
  bumpConfigVersion,
  CONFIG_CHANNEL,
  type ConfigChange,
  type ConfigChangeOp,
  type ConfigChangesSince,
  changesSince,
  type RecentConfigChange,
  readConfigVersion,
  recentConfigChanges,
  recordConfigChanges,
  trimConfigChanges,
} from './config-version.ts';
export { isUnavailable, type PgErrorInfo, pgErrorInfo, redactDsn, sqlStateOf } from './errors.ts';
export type { DatastoreHealth } from './health.ts';
export { createKeyring, isEncrypted, type Keyring } from './keyring.ts';
export {
  assertSchemaUpToDate,
  bootstrap,
  finish,
  list,
  type MigrationRun,
  type MigrationsListing,
  type MigrationsOptions,
  type MigrationsResult,
  NOT_LEADER_MSG,
  reset,
  status,
  up,
} from './migrate.ts';
export { CORE_MIGRATIONS, MIGRATION_SETS, type Migration, type MigrationSet } from './migrations/index.ts';
export { type OpenOptions, openDatastore } from './open.ts';
export { readPluginsInUse } from './plugins-in-use.ts';
export {
  computeSchemaState,
  formatMigrations,
  NEEDS_BOOTSTRAP_MSG,
  type SchemaState,
  type SchemaStatus,
  type SubsystemMigrations,
} from './schema-state.ts';
export type { Datastore, DatastoreTarget, ListenOptions, Queryable, QueryResult, Session } from './types.ts';
