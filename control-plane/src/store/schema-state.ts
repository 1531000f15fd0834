import type { Migration, MigrationSet } from './migrations/types.ts';
import type { Queryable } from './types.ts';

/** Kong's wording (kong/cmd/utils/migrations.lua), with our name and first version. */
export const NEEDS_BOOTSTRAP_MSG =
  'Database needs bootstrapping or is older than Turnpike 0.1.\n\n' +
  "To start a new installation from scratch, run 'turnpike migrations bootstrap'.";
export const NEW_MIGRATIONS_MSG = "New migrations available; run 'turnpike migrations up' to proceed";
export const PENDING_MIGRATIONS_MSG =
  "Database has pending migrations; run 'turnpike migrations finish' when ready";
export const UP_TO_DATE_MSG = 'Database is up-to-date';

/** Some migrations of one subsystem, in their defined order. */
export interface SubsystemMigrations {
  readonly subsystem: string;
  readonly migrations: readonly Migration[];
}

export type SchemaStatus = 'needs_bootstrap' | 'new_migrations' | 'pending_migrations' | 'up_to_date';

/** Where the database stands against the migrations this build knows (kong/db/migrations/state.lua). */
export interface SchemaState {
  /** No schema_meta table: a fresh database (or one not made by Turnpike). */
  readonly needsBootstrap: boolean;
  /** Ran up and, when they have one, teardown. */
  readonly executedMigrations: readonly SubsystemMigrations[];
  /** Ran up; teardown waits for `migrations finish`. */
  readonly pendingMigrations: readonly SubsystemMigrations[];
  /** Defined before the last executed one but never run: a gap the database should not have. */
  readonly missingMigrations: readonly SubsystemMigrations[];
  /** Not run yet: `migrations up` runs them. */
  readonly newMigrations: readonly SubsystemMigrations[];
  /** Kong's is_up_to_date: bootstrapped and nothing new (pending teardowns do not block serving). */
  readonly upToDate: boolean;
  /** One word for the CLI and the readiness check; new migrations win over pending ones. */
  readonly status: SchemaStatus;
  readonly message: string;
}

/** One schema_meta row, as Kong's Postgres strategy stores it. */
export interface SchemaMetaRow {
  readonly subsystem: string;
  readonly last_executed: string | null;
  readonly executed: readonly string[] | null;
  readonly pending: readonly string[] | null;
}

/** Pure: compares the defined migrations with schema_meta (undefined rows = no schema_meta table). */
export function computeSchemaState(
  sets: readonly MigrationSet[],
  rows: readonly SchemaMetaRow[] | undefined,
): SchemaState {
  const executed: SubsystemMigrations[] = [];
  const pending: SubsystemMigrations[] = [];
  const missing: SubsystemMigrations[] = [];
  const fresh: SubsystemMigrations[] = [];
  const bySubsystem = new Map((rows ?? []).map((row) => [row.subsystem, row]));

  for (const set of sets) {
    const row = bySubsystem.get(set.subsystem);
    const lists = {
      executed: [] as Migration[],
      pending: [] as Migration[],
      missing: [] as Migration[],
      fresh: [] as Migration[],
    };
    const lastIndex = row === undefined ? -1 : set.migrations.findIndex((m) => m.name === row.last_executed);
    set.migrations.forEach((migration, i) => {
      if (row?.executed?.includes(migration.name)) lists.executed.push(migration);
      else if (row?.pending?.includes(migration.name)) lists.pending.push(migration);
      else if (i < lastIndex) lists.missing.push(migration);
      else lists.fresh.push(migration);
    });
    const add = (target: SubsystemMigrations[], list: Migration[]) => {
      if (list.length > 0) target.push({ subsystem: set.subsystem, migrations: list });
    };
    add(executed, lists.executed);
    add(pending, lists.pending);
    add(missing, lists.missing);
    add(fresh, lists.fresh);
  }

  const needsBootstrap = rows === undefined;
  let status: SchemaStatus = 'up_to_date';
  let message = UP_TO_DATE_MSG;
  if (needsBootstrap) {
    status = 'needs_bootstrap';
    message = NEEDS_BOOTSTRAP_MSG;
  } else if (fresh.length > 0) {
    status = 'new_migrations';
    message = NEW_MIGRATIONS_MSG;
  } else if (pending.length > 0) {
    status = 'pending_migrations';
    message = PENDING_MIGRATIONS_MSG;
  }
  return {
    needsBootstrap,
    executedMigrations: executed,
    pendingMigrations: pending,
    missingMigrations: missing,
    newMigrations: fresh,
    upToDate: !needsBootstrap && fresh.length === 0,
    status,
    message,
  };
}

/** Kong's listing: one line per subsystem, names right-aligned: `core: 000_base, 001_entities`. */
export function formatMigrations(list: readonly SubsystemMigrations[]): string {
  const width = Math.max(0, ...list.map((s) => s.subsystem.length));
  return list
    .map((s) => `${s.subsystem.padStart(width)}: ${s.migrations.map((m) => m.name).join(', ')}`)
    .join('\n');
}

/** Reads schema_meta (in the session's search_path) and compares it with `sets`. */
export async function loadSchemaState(db: Queryable, sets: readonly MigrationSet[]): Promise<SchemaState> {
  const { rows } = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_meta') IS NOT NULL AS present",
  );
  if (rows[0]?.present !== true) return computeSchemaState(sets, undefined);
  const meta = await db.query<SchemaMetaRow>(
    "SELECT subsystem, last_executed, executed, pending FROM schema_meta WHERE key = 'schema_meta'",
  );
  return computeSchemaState(sets, meta.rows);
}
