import { MigrationsError } from '@turnpike/shared';
import type { Datastore, Queryable } from './types.ts';

function notBootstrapped(): MigrationsError {
  return new MigrationsError("config_state has no row: run 'turnpike migrations bootstrap'");
}

/** The NOTIFY channel that carries each new config version (as text) at commit. */
export const CONFIG_CHANNEL = 'turnpike_config';

export type ConfigChangeOp = 'upsert' | 'delete';

export interface ConfigChange {
  /** Entity name as in the Admin API: services, routes, … */
  readonly entity: string;
  readonly id: string;
  readonly op: ConfigChangeOp;
}

export interface ConfigChangesSince {
  /** The current version: apply `changes` to reach it. */
  readonly version: number;
  /** Every change after the asked version, oldest first, tagged with its own version. */
  readonly changes: (ConfigChange & { readonly version: number })[];
}

/**
 * Call inside the transaction that writes the entities. Increments the config version,
 * appends `changes` under it and queues NOTIFY turnpike_config (delivered at commit only).
 * The UPDATE locks the single config_state row until commit, so concurrent writers, on this
 * control plane or another, get strictly increasing versions that commit in order; a rolled
 * back transaction leaves neither version nor changes behind.
 */
export async function bumpConfigVersion(tx: Queryable, changes: readonly ConfigChange[]): Promise<number> {
  const { rows } = await tx.query<{ config_version: number }>(
    'UPDATE config_state SET config_version = config_version + 1, updated_at = now() WHERE id RETURNING config_version',
  );
  const version = rows[0]?.config_version;
  if (version === undefined) throw notBootstrapped();
  if (changes.length > 0) {
    await tx.query(
      `INSERT INTO config_changes (version, position, entity, id, op)
       SELECT $1, c.position, c.entity, c.id::uuid, c.op
       FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS c(entity, id, op, position)`,
      [version, changes.map((c) => c.entity), changes.map((c) => c.id), changes.map((c) => c.op)],
    );
  }
  await tx.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, String(version)]);
  return version;
}

/**
 * Call inside the transaction that writes the entities: `changes` get the next config version
 * when the transaction commits (migration 003_config_commit: a deferred trigger bumps
 * config_state, logs the changes under the new version and queues NOTIFY turnpike_config, all
 * inside COMMIT). Unlike `bumpConfigVersion`, which locks config_state from its UPDATE to the
 * commit — every other writer waits out this one's remaining round trips — the lock here lasts
 * only as long as the commit itself, so concurrent writers proceed side by side. Versions still
 * commit in order, one per writing transaction; a rollback leaves nothing. The version is not
 * known before the commit: read it afterwards (`readConfigVersion`) if needed. Several calls in
 * one transaction make one version, their changes in call order. Nothing to record, no version.
 */
export async function recordConfigChanges(tx: Queryable, changes: readonly ConfigChange[]): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(
    `INSERT INTO config_pending (first, entity, id, op)
     SELECT c.position = 1, c.entity, c.id::uuid, c.op
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(entity, id, op, position)
     ORDER BY c.position`,
    [changes.map((c) => c.entity), changes.map((c) => c.id), changes.map((c) => c.op)],
  );
}

/** The last committed config version (0 before any write). */
export async function readConfigVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ config_version: number }>(
    'SELECT config_version FROM config_state WHERE id',
  );
  const version = rows[0]?.config_version;
  if (version === undefined) throw notBootstrapped();
  return version;
}

/**
 * The changes that lead from `version` to the current one, or undefined when the log no
 * longer covers them (trimmed, or a version this database never had): send a full snapshot.
 */
export async function changesSince(db: Queryable, version: number): Promise<ConfigChangesSince | undefined> {
  // One statement, so the current version and the changes come from one snapshot.
  const { rows } = await db.query<{
    config_version: number;
    log_floor: number;
    version: number | null;
    entity: string | null;
    id: string | null;
    op: ConfigChangeOp | null;
  }>(
    `SELECT s.config_version, s.log_floor, c.version, c.entity, c.id::text AS id, c.op
     FROM config_state s
     LEFT JOIN config_changes c ON c.version > $1
     WHERE s.id
     ORDER BY c.version, c.position`,
    [version],
  );
  const head = rows[0];
  if (head === undefined) throw notBootstrapped();
  if (version < head.log_floor || version > head.config_version) return undefined;
  const changes: (ConfigChange & { version: number })[] = [];
  for (const row of rows) {
    if (row.version === null || row.entity === null || row.id === null || row.op === null) continue;
    // A change committed after config_state was read would be newer than the version we report.
    if (row.version > head.config_version) continue;
    changes.push({ version: row.version, entity: row.entity, id: row.id, op: row.op });
  }
  return { version: head.config_version, changes };
}

/**
 * Keeps the changes of the last `keepVersions` versions and forgets older ones; a data plane
 * behind that gets a full snapshot. Returns how many change rows were removed.
 */
export async function trimConfigChanges(
  db: Pick<Datastore, 'transaction'>,
  keepVersions: number,
): Promise<number> {
  if (!Number.isInteger(keepVersions) || keepVersions < 0) {
    throw new RangeError(`keepVersions must be a non-negative integer, got ${keepVersions}`);
  }
  return db.transaction(async (tx) => {
    // FOR UPDATE: a writer bumping meanwhile waits, so the floor and the log stay consistent.
    const { rows } = await tx.query<{ config_version: number; log_floor: number }>(
      'SELECT config_version, log_floor FROM config_state WHERE id FOR UPDATE',
    );
    const state = rows[0];
    if (state === undefined) throw notBootstrapped();
    const floor = state.config_version - keepVersions;
    if (floor <= state.log_floor) return 0;
    const removed = await tx.query('DELETE FROM config_changes WHERE version <= $1', [floor]);
    await tx.query('UPDATE config_state SET log_floor = $1 WHERE id', [floor]);
    return removed.rowCount;
  });
}

export interface RecentConfigChange extends ConfigChange {
  readonly version: number;
  /** When the writing transaction began, in milliseconds since the epoch. */
  readonly at: number;
  /** How many changes the version holds in all (at most `perVersion` of them are listed). */
  readonly total: number;
}

/**
 * The change log of the last `versions` config versions, newest version first, at most
 * `perVersion` changes of each (a declarative import may change thousands): what the Admin
 * GUI's timeline shows. Versions that changed nothing, or whose log was trimmed, are absent.
 */
export async function recentConfigChanges(
  db: Queryable,
  versions: number,
  perVersion: number,
): Promise<RecentConfigChange[]> {
  const { rows } = await db.query<RecentConfigChange>(
    `SELECT version, entity, id, op, at, total FROM (
       SELECT c.version, c.entity, c.id::text AS id, c.op, c.position,
              (extract(epoch FROM c.at) * 1000)::float8 AS at,
              count(*) OVER (PARTITION BY c.version)::int AS total,
              row_number() OVER (PARTITION BY c.version ORDER BY c.position) AS n
       FROM config_changes c, config_state s
       WHERE s.id AND c.version > s.config_version - $1
     ) listed
     WHERE n <= $2
     ORDER BY version DESC, position`,
    [versions, perVersion],
  );
  return rows;
}
