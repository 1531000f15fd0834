import { type Logger, MigrationsError } from '@turnpike/shared';
import { sqlStateOf } from './errors.ts';
import { MIGRATION_SETS } from './migrations/index.ts';
import type { MigrationSet } from './migrations/types.ts';
import {
  formatMigrations,
  loadSchemaState,
  NEEDS_BOOTSTRAP_MSG,
  type SchemaState,
  type SubsystemMigrations,
  UP_TO_DATE_MSG,
} from './schema-state.ts';
import type { Datastore, Queryable, Session } from './types.ts';

/** pg_advisory_lock(int4, int4) key pair: 'TPMG' and 1. Every Turnpike node uses the same. */
const LOCK_KEY = [0x54504d47, 1] as const;
const LOCK_TIMEOUT_SQLSTATE = '55P03';

export const NOT_LEADER_MSG = 'aborted: another node is performing database changes';

export interface MigrationsOptions {
  /** Defaults to every subsystem this build knows (migrations/index.ts). */
  sets?: readonly MigrationSet[];
  /** How long to wait for another node's migrations to finish (Kong's --lock-timeout, 60 s). */
  lockTimeoutMs?: number;
}

export interface MigrationRun {
  readonly subsystem: string;
  readonly name: string;
  readonly step: 'up' | 'teardown';
  /** How long the step took (its SQL and its schema_meta record, one transaction), in ms. */
  readonly ms: number;
}

/** `12 ms`, `1.4 s`: a step's duration as the migrations commands print it. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export interface MigrationsResult {
  /** What Kong's CLI would print, in order. */
  readonly messages: readonly string[];
  /** Steps this call ran, in order; empty when there was nothing to do. */
  readonly ran: readonly MigrationRun[];
  /** The state after the command. */
  readonly state: SchemaState;
}

export interface MigrationsListing {
  readonly messages: readonly string[];
  readonly state: SchemaState;
  /** Kong's exit codes for `migrations list`: 3 needs bootstrap, 4 pending, 5 new, else 0. */
  readonly exitCode: 0 | 3 | 4 | 5;
}

/** Collects the CLI's lines and logs each as it happens. */
function reporter(log: Logger, command: string) {
  const messages: string[] = [];
  return {
    messages,
    say(message: string) {
      messages.push(message);
      log.info({ command }, message);
    },
  };
}

/**
 * Holds the migrations advisory lock on one connection for fn: a second node waits (up to
 * lockTimeoutMs), then re-reads the state and finds the work done.
 */
async function withMigrationsLock<T>(
  db: Datastore,
  options: MigrationsOptions,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.lockTimeoutMs ?? 60_000;
  return db.session(async (session) => {
    await session.query("SELECT set_config('lock_timeout', $1, false)", [`${timeoutMs}ms`]);
    try {
      await session.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [...LOCK_KEY]);
    } catch (err) {
      if (sqlStateOf(err) !== LOCK_TIMEOUT_SQLSTATE) throw err;
      throw new MigrationsError(`${NOT_LEADER_MSG} (waited ${timeoutMs} ms for the migrations lock)`, {
        cause: err,
      });
    }
    try {
      await session.query('RESET lock_timeout');
      return await fn(session);
    } finally {
      await session
        .query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [...LOCK_KEY])
        .catch(() => undefined);
    }
  });
}

/** Kong's schema_meta, created by bootstrap rather than by a migration. */
const CREATE_SCHEMA_META = `
  CREATE TABLE IF NOT EXISTS schema_meta (
    key           text NOT NULL,
    subsystem     text NOT NULL,
    last_executed text,
    executed      text[],
    pending       text[],
    PRIMARY KEY (key, subsystem)
  )`;

async function record(
  tx: Queryable,
  subsystem: string,
  name: string,
  state: 'executed' | 'pending' | 'teardown',
) {
  if (state === 'teardown') {
    await tx.query(
      `UPDATE schema_meta
       SET pending = array_remove(pending, $2::text),
           executed = array_append(COALESCE(executed, ARRAY[]::text[]), $2::text)
       WHERE key = 'schema_meta' AND subsystem = $1`,
      [subsystem, name],
    );
    return;
  }
  const column = state === 'executed' ? 'executed' : 'pending';
  await tx.query(
    `INSERT INTO schema_meta (key, subsystem, last_executed, ${column})
     VALUES ('schema_meta', $1, $2::text, ARRAY[$2::text])
     ON CONFLICT (key, subsystem) DO UPDATE
     SET last_executed = $2::text,
         ${column} = array_append(COALESCE(schema_meta.${column}, ARRAY[]::text[]), $2::text)`,
    [subsystem, name],
  );
}

/** Kong's run_migrations: each step in its own transaction, together with its schema_meta record. */
async function runMigrations(
  session: Session,
  say: (message: string) => void,
  list: readonly SubsystemMigrations[],
  steps: { up: boolean; teardown: boolean },
): Promise<MigrationRun[]> {
  const { rows } = await session.query<{ db: string }>('SELECT current_database() AS db');
  const database = rows[0]?.db ?? '?';
  const ran: MigrationRun[] = [];
  let pendingCount = 0;
  let processed = 0;
  const startedAt = performance.now();
  for (const { subsystem, migrations } of list) {
    say(`migrating ${subsystem} on database '${database}'...`);
    for (const migration of migrations) {
      const timings: string[] = [];
      if (steps.up) {
        const upAt = performance.now();
        await session.transaction(async (tx) => {
          await tx.query(migration.up);
          await record(
            tx,
            subsystem,
            migration.name,
            migration.teardown === undefined ? 'executed' : 'pending',
          );
        });
        const ms = performance.now() - upAt;
        ran.push({ subsystem, name: migration.name, step: 'up', ms });
        timings.push(`up ${formatDuration(ms)}`);
        if (migration.teardown !== undefined) pendingCount++;
      }
      if (steps.teardown && migration.teardown !== undefined) {
        const teardown = migration.teardown;
        const teardownAt = performance.now();
        await session.transaction(async (tx) => {
          await tx.query(teardown);
          await record(tx, subsystem, migration.name, 'teardown');
        });
        const ms = performance.now() - teardownAt;
        ran.push({ subsystem, name: migration.name, step: 'teardown', ms });
        timings.push(`teardown ${formatDuration(ms)}`);
        pendingCount = Math.max(0, pendingCount - 1);
      }
      const pendingNow = migration.teardown !== undefined && !steps.teardown;
      say(`${subsystem} migrated up to: ${migration.name} ${pendingNow ? '(pending)' : '(executed)'}`);
      // Turnpike's addition, on a line of its own so that Kong's lines stay as Kong prints them.
      say(`  ${subsystem}.${migration.name}: ${timings.join(', ')}`);
      processed++;
    }
  }
  say(`${processed} migration${processed > 1 ? 's' : ''} processed`);
  say(`  migrations took ${formatDuration(performance.now() - startedAt)}`);
  if (processed - pendingCount > 0) say(`${processed - pendingCount} executed`);
  if (pendingCount > 0) say(`${pendingCount} pending`);
  return ran;
}

/** `migrations bootstrap`: on a fresh database, create schema_meta and run every migration, up and teardown. */
export async function bootstrap(
  db: Datastore,
  log: Logger,
  options: MigrationsOptions = {},
): Promise<MigrationsResult> {
  const sets = options.sets ?? MIGRATION_SETS;
  const { messages, say } = reporter(log, 'bootstrap');
  const before = await loadSchemaState(db, sets);
  if (!before.needsBootstrap) {
    say('Database already bootstrapped');
    return { messages, ran: [], state: before };
  }
  return withMigrationsLock(db, options, async (session) => {
    // Another node may have bootstrapped while we waited for the lock.
    const state = await loadSchemaState(session, sets);
    if (!state.needsBootstrap) {
      say('Database already bootstrapped');
      return { messages, ran: [], state };
    }
    say('Bootstrapping database...');
    await session.query(CREATE_SCHEMA_META);
    const fresh = await loadSchemaState(session, sets);
    const ran = await runMigrations(session, say, fresh.newMigrations, { up: true, teardown: true });
    say(UP_TO_DATE_MSG);
    return { messages, ran, state: await loadSchemaState(session, sets) };
  });
}

/**
 * `migrations up`: run the new migrations' up steps; refuses while teardowns are pending. On a
 * database never bootstrapped it bootstraps, as Ory Kratos's `migrate sql` does (Kong refuses
 * instead), so one `migrations up -e -y` job serves a new install and an upgrade alike.
 */
export async function up(
  db: Datastore,
  log: Logger,
  options: MigrationsOptions = {},
): Promise<MigrationsResult> {
  const sets = options.sets ?? MIGRATION_SETS;
  const { messages, say } = reporter(log, 'up');
  const before = await loadSchemaState(db, sets);
  if (before.needsBootstrap) return bootstrap(db, log, options);
  return withMigrationsLock(db, options, async (session) => {
    const state = await loadSchemaState(session, sets);
    if (state.pendingMigrations.length > 0) {
      throw new MigrationsError("Database has pending migrations; run 'turnpike migrations finish'");
    }
    if (state.newMigrations.length === 0) {
      say('Database is already up-to-date');
      return { messages, ran: [], state };
    }
    log.debug({ migrations: formatMigrations(state.newMigrations) }, 'migrations to run');
    const ran = await runMigrations(session, say, state.newMigrations, { up: true, teardown: false });
    const after = await loadSchemaState(session, sets);
    if (after.pendingMigrations.length > 0) {
      say("\nDatabase has pending migrations; run 'turnpike migrations finish' when ready");
    }
    return { messages, ran, state: after };
  });
}

/** `migrations finish`: run the teardown steps that `up` left pending. */
export async function finish(
  db: Datastore,
  log: Logger,
  options: MigrationsOptions = {},
): Promise<MigrationsResult> {
  const sets = options.sets ?? MIGRATION_SETS;
  const { messages, say } = reporter(log, 'finish');
  const before = await loadSchemaState(db, sets);
  if (before.needsBootstrap) throw new MigrationsError(`Cannot run migrations: ${NEEDS_BOOTSTRAP_MSG}`);
  return withMigrationsLock(db, options, async (session) => {
    let state = await loadSchemaState(session, sets);
    let ran: MigrationRun[] = [];
    const hadPending = state.pendingMigrations.length > 0;
    if (hadPending) {
      ran = await runMigrations(session, say, state.pendingMigrations, { up: false, teardown: true });
      state = await loadSchemaState(session, sets);
    }
    if (state.newMigrations.length > 0) {
      say("\nNew migrations available; run 'turnpike migrations up' to proceed");
    } else if (!hadPending) {
      say('No pending migrations to finish');
    }
    return { messages, ran, state };
  });
}

/** `migrations list`: executed, pending and new migrations, with Kong's exit codes. */
export async function list(
  db: Datastore,
  options: Pick<MigrationsOptions, 'sets'> = {},
): Promise<MigrationsListing> {
  const state = await loadSchemaState(db, options.sets ?? MIGRATION_SETS);
  if (state.needsBootstrap) return { messages: [NEEDS_BOOTSTRAP_MSG], state, exitCode: 3 };
  const messages: string[] = [];
  let gap = '';
  if (state.executedMigrations.length > 0) {
    messages.push(`Executed migrations:\n${formatMigrations(state.executedMigrations)}`);
    gap = '\n';
  }
  if (state.pendingMigrations.length > 0) {
    messages.push(`${gap}Pending migrations:\n${formatMigrations(state.pendingMigrations)}`);
    gap = '\n';
  }
  if (state.newMigrations.length > 0) {
    messages.push(`${gap}New migrations available:\n${formatMigrations(state.newMigrations)}`);
  }
  if (state.pendingMigrations.length > 0) {
    messages.push("\nRun 'turnpike migrations finish' when ready");
    return { messages, state, exitCode: 4 };
  }
  if (state.newMigrations.length > 0) {
    messages.push("\nRun 'turnpike migrations up' to proceed");
    return { messages, state, exitCode: 5 };
  }
  return { messages, state, exitCode: 0 };
}

/** `migrations status`: where the database stands, with a message for people. */
export function status(db: Datastore, options: Pick<MigrationsOptions, 'sets'> = {}): Promise<SchemaState> {
  return loadSchemaState(db, options.sets ?? MIGRATION_SETS);
}

/** For `serve`: throws MigrationsError unless bootstrapped with no new migrations (Kong's check_state). */
export async function assertSchemaUpToDate(db: Datastore, options: Pick<MigrationsOptions, 'sets'> = {}) {
  const state = await status(db, options);
  if (!state.upToDate) throw new MigrationsError(state.message);
  return state;
}

/** `migrations reset`: drops the whole schema (every table in it, ours or not), as Kong does. */
export async function reset(
  db: Datastore,
  log: Logger,
  options: MigrationsOptions = {},
): Promise<MigrationsResult> {
  const sets = options.sets ?? MIGRATION_SETS;
  const { messages, say } = reporter(log, 'reset');
  const before = await loadSchemaState(db, sets);
  if (before.needsBootstrap) {
    say('Database not bootstrapped, nothing to reset');
    return { messages, ran: [], state: before };
  }
  return withMigrationsLock(db, options, async (session) => {
    say('Resetting database...');
    const { rows } = await session.query<{ schema: string | null; owner: string }>(
      'SELECT current_schema() AS schema, current_user AS owner',
    );
    const schema = quoteIdent(rows[0]?.schema ?? 'public');
    const owner = quoteIdent(rows[0]?.owner ?? 'postgres');
    await session.transaction(async (tx) => {
      await tx.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${owner}`);
      await tx.query(`GRANT ALL ON SCHEMA ${schema} TO ${owner}`);
    });
    say('Database successfully reset');
    return { messages, ran: [], state: await loadSchemaState(session, sets) };
  });
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
