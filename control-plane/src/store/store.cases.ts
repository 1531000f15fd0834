/**
 * One behaviour suite for every Datastore implementation (as hono runs one router suite
 * against every router): store.postgres.test.ts and store.pglite.test.ts call storeSuite.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createLogger, DatabaseError, MigrationsError } from '@turnpike/shared';
import {
  bumpConfigVersion,
  CONFIG_CHANNEL,
  changesSince,
  readConfigVersion,
  recentConfigChanges,
  recordConfigChanges,
  trimConfigChanges,
} from './config-version.ts';
import { sqlStateOf } from './errors.ts';
import { bootstrap, finish, list, reset, status, up } from './migrate.ts';
import { MIGRATION_SETS } from './migrations/index.ts';
import type { Migration, MigrationSet } from './migrations/types.ts';
import type { Datastore } from './types.ts';

export interface StoreFixture {
  /** An empty database, as a fresh install would have. The suite closes it. */
  fresh(): Promise<Datastore>;
}

export const silent = createLogger({ level: 'silent' });

/** Names of the core migrations this build ships, in order. */
export const CORE_NAMES = (MIGRATION_SETS.find((s) => s.subsystem === 'core')?.migrations ?? []).map(
  (m) => m.name,
);

/** The core migrations plus `extra`, as a later release would ship them. */
export function withExtra(...extra: Migration[]): MigrationSet[] {
  const core = MIGRATION_SETS.find((s) => s.subsystem === 'core');
  assert.ok(core !== undefined);
  return [{ subsystem: 'core', migrations: [...core.migrations, ...extra] }];
}

/** Resolves with the first payload on `channel` for which `accept` holds. */
export async function nextPayload(
  db: Datastore,
  channel: string,
  accept: (payload: string) => boolean = () => true,
) {
  let resolve!: (payload: string) => void;
  const received = new Promise<string>((r) => {
    resolve = r;
  });
  const payloads: string[] = [];
  const stop = await db.listen(channel, (payload) => {
    payloads.push(payload);
    if (accept(payload)) resolve(payload);
  });
  return { received, payloads, stop };
}

async function executedNames(db: Datastore): Promise<string[]> {
  const { rows } = await db.query<{ executed: string[] | null }>(
    "SELECT executed FROM schema_meta WHERE key = 'schema_meta' AND subsystem = 'core'",
  );
  return rows[0]?.executed ?? [];
}

export function storeSuite(fixture: StoreFixture): void {
  const open = async (t: { after: (fn: () => Promise<void>) => void }) => {
    const db = await fixture.fresh();
    t.after(() => db.close());
    return db;
  };

  test('a query returns rows with bigint as a number, and rowCount counts affected rows', async (t) => {
    const db = await open(t);
    await db.query('CREATE TABLE items (id bigint PRIMARY KEY, tags text[], doc jsonb, at timestamptz)');
    const inserted = await db.query('INSERT INTO items VALUES ($1, $2, $3, now()), ($4, $2, $3, now())', [
      1,
      ['a', 'b'],
      JSON.stringify({ k: 'v' }),
      2,
    ]);
    assert.equal(inserted.rowCount, 2);
    const updated = await db.query('UPDATE items SET tags = $1 WHERE id = $2', [['c'], 2]);
    assert.equal(updated.rowCount, 1);
    const { rows, rowCount } = await db.query<{ id: number; tags: string[]; doc: unknown; at: Date }>(
      'SELECT * FROM items ORDER BY id',
    );
    assert.equal(rowCount, 2);
    assert.deepEqual(
      rows.map((r) => [r.id, r.tags, r.doc]),
      [
        [1, ['a', 'b'], { k: 'v' }],
        [2, ['c'], { k: 'v' }],
      ],
    );
    assert.ok(rows[0]?.at instanceof Date);
  });

  test('several statements run in one query when there are no parameters', async (t) => {
    const db = await open(t);
    const { rows } = await db.query<{ n: number }>(
      'CREATE TABLE a (x int); INSERT INTO a VALUES (7); SELECT x AS n FROM a',
    );
    assert.deepEqual(rows, [{ n: 7 }]);
  });

  test('a transaction commits what its callback wrote and returns its value', async (t) => {
    const db = await open(t);
    await db.query('CREATE TABLE notes (body text)');
    const value = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO notes VALUES ($1)', ['kept']);
      return 42;
    });
    assert.equal(value, 42);
    assert.deepEqual((await db.query('SELECT body FROM notes')).rows, [{ body: 'kept' }]);
  });

  test('a transaction whose callback throws rolls back and rethrows the same error', async (t) => {
    const db = await open(t);
    await db.query('CREATE TABLE notes (body text)');
    const boom = new Error('boom');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO notes VALUES ($1)', ['lost']);
        throw boom;
      }),
      (err) => err === boom,
    );
    assert.equal((await db.query('SELECT * FROM notes')).rowCount, 0);
  });

  test('a failing statement raises DatabaseError with its SQLSTATE and rolls the transaction back', async (t) => {
    const db = await open(t);
    await db.query('CREATE TABLE uniq (name text UNIQUE)');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO uniq VALUES ($1)', ['a']);
        await tx.query('INSERT INTO uniq VALUES ($1)', ['a']);
      }),
      (err) => {
        assert.ok(err instanceof DatabaseError);
        assert.equal(err.code, 'TP_DATABASE');
        assert.equal(sqlStateOf(err), '23505');
        assert.match(err.message, /^\[(PostgreSQL|PGlite) error\] duplicate key/);
        return true;
      },
    );
    assert.equal((await db.query('SELECT * FROM uniq')).rowCount, 0);
    // The store still serves queries after the failure.
    assert.equal((await db.query('SELECT 1 AS one')).rows.length, 1);
  });

  test('concurrent transactions each see their own writes and all commit', async (t) => {
    const db = await open(t);
    await db.query('CREATE TABLE counter (n int)');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO counter VALUES ($1)', [i]);
          const { rows } = await tx.query<{ n: number }>('SELECT n FROM counter WHERE n = $1', [i]);
          assert.equal(rows.length, 1);
        }),
      ),
    );
    assert.equal((await db.query('SELECT * FROM counter')).rowCount, 10);
  });

  test('status and list say a fresh database needs bootstrapping, and up bootstraps it', async (t) => {
    const db = await open(t);
    const state = await status(db);
    assert.equal(state.status, 'needs_bootstrap');
    assert.equal(state.needsBootstrap, true);
    assert.match(state.message, /^Database needs bootstrapping or is older than Turnpike 0\.1/);
    const listing = await list(db);
    assert.equal(listing.exitCode, 3);
    await assert.rejects(finish(db, silent), MigrationsError);
    const result = await up(db, silent);
    assert.equal(result.messages[0], 'Bootstrapping database...');
    assert.equal(result.state.upToDate, true);
    assert.equal((await up(db, silent)).messages[0], 'Database is already up-to-date');
  });

  test('bootstrap runs every migration once, and running it or up again changes nothing', async (t) => {
    const db = await open(t);
    const first = await bootstrap(db, silent);
    assert.equal(first.messages[0], 'Bootstrapping database...');
    assert.ok(first.messages.includes(`migrating core on database '${await currentDb(db)}'...`));
    assert.ok(first.messages.includes('core migrated up to: 000_base (executed)'));
    assert.equal(first.messages.at(-1), 'Database is up-to-date');
    assert.deepEqual(
      first.ran.map(({ ms: _, ...run }) => run),
      CORE_NAMES.map((name) => ({ subsystem: 'core', name, step: 'up' })),
    );
    // Each step's time, on a line of its own after Kong's.
    assert.ok(first.ran.every((run) => run.ms >= 0));
    const line = first.messages.indexOf('core migrated up to: 000_base (executed)');
    assert.match(first.messages[line + 1] ?? '', /^ {2}core\.000_base: up \d+ ms$/);
    assert.match(first.messages.find((m) => m.includes('migrations took')) ?? '', /^ {2}migrations took \d/);
    assert.equal(first.state.status, 'up_to_date');

    assert.deepEqual((await bootstrap(db, silent)).messages, ['Database already bootstrapped']);
    const again = await up(db, silent);
    assert.deepEqual(again.messages, ['Database is already up-to-date']);
    assert.deepEqual(again.ran, []);
    assert.deepEqual(await executedNames(db), CORE_NAMES);
    assert.equal(await readConfigVersion(db), 0);

    const listing = await list(db);
    assert.equal(listing.exitCode, 0);
    assert.deepEqual(listing.messages, [`Executed migrations:\ncore: ${CORE_NAMES.join(', ')}`]);
  });

  test('up runs new migrations; one with a teardown stays pending until finish', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const later = withExtra(
      { name: '901_widgets', up: 'CREATE TABLE widgets (id int)' },
      {
        name: '902_widgets_name',
        up: 'ALTER TABLE widgets ADD COLUMN name text',
        teardown: 'ALTER TABLE widgets DROP COLUMN id',
      },
    );
    const before = await status(db, { sets: later });
    assert.equal(before.status, 'new_migrations');
    assert.equal((await list(db, { sets: later })).exitCode, 5);

    const ran = await up(db, silent, { sets: later });
    assert.deepEqual(
      ran.ran.map((r) => `${r.name}:${r.step}`),
      ['901_widgets:up', '902_widgets_name:up'],
    );
    assert.ok(ran.messages.includes('core migrated up to: 902_widgets_name (pending)'));
    assert.ok(ran.messages.includes('1 pending'));
    assert.equal(ran.state.status, 'pending_migrations');
    assert.equal(ran.state.upToDate, true, 'pending teardowns do not stop a node from serving');
    assert.equal((await list(db, { sets: later })).exitCode, 4);
    await assert.rejects(
      up(db, silent, { sets: later }),
      /pending migrations; run 'turnpike migrations finish'/,
    );

    const finished = await finish(db, silent, { sets: later });
    assert.deepEqual(
      finished.ran.map(({ ms: _, ...run }) => run),
      [{ subsystem: 'core', name: '902_widgets_name', step: 'teardown' }],
    );
    assert.ok(finished.messages.some((m) => /^ {2}core\.902_widgets_name: teardown \d+ ms$/.test(m)));
    assert.equal(finished.state.status, 'up_to_date');
    const columns = await db.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY column_name",
    );
    assert.deepEqual(columns.rows, [{ column_name: 'name' }]);
    assert.deepEqual((await finish(db, silent, { sets: later })).messages, [
      'No pending migrations to finish',
    ]);
    assert.deepEqual(await executedNames(db), [...CORE_NAMES, '901_widgets', '902_widgets_name']);
  });

  test('a failing migration is rolled back and not recorded; the ones before it stay', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const later = withExtra(
      { name: '901_ok', up: 'CREATE TABLE ok_table (id int)' },
      { name: '902_broken', up: 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table' },
    );
    await assert.rejects(
      up(db, silent, { sets: later }),
      (err) => err instanceof DatabaseError && sqlStateOf(err) === '42P01',
    );
    assert.deepEqual(await executedNames(db), [...CORE_NAMES, '901_ok']);
    const tables = await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'half_done'");
    assert.equal(tables.rowCount, 0);
    assert.deepEqual(
      (await status(db, { sets: later })).newMigrations.map((s) => s.migrations.map((m) => m.name)),
      [['902_broken']],
    );
  });

  test('reset drops everything and the database needs bootstrapping again', async (t) => {
    const db = await open(t);
    assert.deepEqual((await reset(db, silent)).messages, ['Database not bootstrapped, nothing to reset']);
    await bootstrap(db, silent);
    await db.query('CREATE TABLE stray (x int)');
    const result = await reset(db, silent);
    assert.deepEqual(result.messages, ['Resetting database...', 'Database successfully reset']);
    assert.equal(result.state.status, 'needs_bootstrap');
    const { rowCount } = await db.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public'");
    assert.equal(rowCount, 0);
    assert.equal((await bootstrap(db, silent)).state.status, 'up_to_date');
  });

  test('bumpConfigVersion gives 20 concurrent transactions the versions 1 to 20, each with its changes', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const versions = await Promise.all(
      ids.map((id) =>
        db.transaction(async (tx) => {
          await tx.query('SELECT 1'); // interleave with the others before taking the row lock
          return bumpConfigVersion(tx, [{ entity: 'services', id, op: 'upsert' }]);
        }),
      ),
    );
    assert.deepEqual(
      [...versions].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(await readConfigVersion(db), 20);
    const since = await changesSince(db, 0);
    assert.ok(since !== undefined);
    assert.equal(since.version, 20);
    assert.equal(since.changes.length, 20);
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(
        since.changes.find((c) => c.id === id),
        { version: versions[i], entity: 'services', id, op: 'upsert' },
      );
    }
  });

  test('recordConfigChanges gives each of 20 concurrent transactions its own version at commit, in commit order', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const listener = await nextPayload(db, CONFIG_CHANNEL, (p) => p === '20');
    t.after(() => listener.stop());
    const ids = Array.from({ length: 20 }, () => [randomUUID(), randomUUID()] as const);
    await Promise.all(
      ids.map(([a, b]) =>
        db.transaction(async (tx) => {
          await recordConfigChanges(tx, [{ entity: 'services', id: a, op: 'upsert' }]);
          await tx.query('SELECT 1'); // interleave with the others
          // A second call in the same transaction joins the same version, after the first.
          await recordConfigChanges(tx, [{ entity: 'routes', id: b, op: 'delete' }]);
          await recordConfigChanges(tx, []);
        }),
      ),
    );
    assert.equal(await readConfigVersion(db), 20);
    const since = await changesSince(db, 0);
    assert.ok(since !== undefined);
    assert.equal(since.changes.length, 40);
    for (const [a, b] of ids) {
      const first: { version: number } | undefined = since.changes.find((c) => c.id === a);
      assert.ok(first !== undefined);
      assert.deepEqual(
        since.changes.filter((c) => c.version === first.version),
        [
          { version: first.version, entity: 'services', id: a, op: 'upsert' },
          { version: first.version, entity: 'routes', id: b, op: 'delete' },
        ],
      );
    }
    const versionOrder = [...new Set(since.changes.map((c) => c.version))];
    assert.deepEqual(
      versionOrder,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(await listener.received, '20');
    assert.deepEqual(listener.payloads, versionOrder.map(String), 'one NOTIFY per version, in order');
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM config_pending');
    assert.equal(rows[0]?.n, 0, 'nothing left pending after commit');
  });

  test('recordConfigChanges leaves neither version nor changes behind on rollback, and nothing before commit', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    await assert.rejects(
      db.transaction(async (tx) => {
        await recordConfigChanges(tx, [{ entity: 'routes', id: randomUUID(), op: 'delete' }]);
        throw new Error('validation failed after the write');
      }),
      /validation failed/,
    );
    assert.equal(await readConfigVersion(db), 0);
    await db.transaction(async (tx) => {
      await recordConfigChanges(tx, [{ entity: 'routes', id: randomUUID(), op: 'upsert' }]);
      assert.equal(await readConfigVersion(tx), 0, 'the version is taken at commit');
    });
    assert.equal(await readConfigVersion(db), 1);
    // Both ways of bumping share one sequence of versions.
    assert.equal(await db.transaction((tx) => bumpConfigVersion(tx, [])), 2);
    assert.equal((await changesSince(db, 0))?.changes.length, 1);
  });

  test('a rolled back transaction neither bumps the version nor logs its changes', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    await assert.rejects(
      db.transaction(async (tx) => {
        await bumpConfigVersion(tx, [{ entity: 'routes', id: randomUUID(), op: 'delete' }]);
        throw new Error('validation failed after the write');
      }),
      /validation failed/,
    );
    assert.equal(await readConfigVersion(db), 0);
    assert.deepEqual(await changesSince(db, 0), { version: 0, changes: [] });
  });

  test('changesSince returns exactly the changes after a version, in order, until the log is trimmed', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await db.transaction((tx) =>
      bumpConfigVersion(tx, [
        { entity: 'services', id: a, op: 'upsert' },
        { entity: 'routes', id: b, op: 'upsert' },
      ]),
    );
    await db.transaction((tx) => bumpConfigVersion(tx, []));
    await db.transaction((tx) => bumpConfigVersion(tx, [{ entity: 'routes', id: b, op: 'delete' }]));
    await db.transaction((tx) => bumpConfigVersion(tx, [{ entity: 'services', id: c, op: 'upsert' }]));

    assert.deepEqual(await changesSince(db, 2), {
      version: 4,
      changes: [
        { version: 3, entity: 'routes', id: b, op: 'delete' },
        { version: 4, entity: 'services', id: c, op: 'upsert' },
      ],
    });
    assert.deepEqual((await changesSince(db, 0))?.changes.slice(0, 2), [
      { version: 1, entity: 'services', id: a, op: 'upsert' },
      { version: 1, entity: 'routes', id: b, op: 'upsert' },
    ]);
    assert.deepEqual(await changesSince(db, 4), { version: 4, changes: [] });
    assert.equal(await changesSince(db, 5), undefined, 'a version this database never had');

    assert.equal(await trimConfigChanges(db, 2), 2, 'versions 1 and 2 hold two rows');
    assert.equal(await changesSince(db, 1), undefined);
    assert.equal(await changesSince(db, 0), undefined);
    assert.deepEqual((await changesSince(db, 2))?.changes.length, 2);
    assert.equal(await trimConfigChanges(db, 2), 0, 'trimming again removes nothing');
  });

  test('recentConfigChanges lists the last versions newest first, capping the changes listed per version', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await db.transaction((tx) => bumpConfigVersion(tx, [{ entity: 'services', id: ids[0]!, op: 'upsert' }]));
    await db.transaction((tx) =>
      bumpConfigVersion(
        tx,
        ids.map((id) => ({ entity: 'routes', id, op: 'upsert' as const })),
      ),
    );
    await db.transaction((tx) => bumpConfigVersion(tx, [{ entity: 'routes', id: ids[1]!, op: 'delete' }]));

    const recent = await recentConfigChanges(db, 2, 2);
    assert.deepEqual(
      recent.map(({ version, entity, id, op, total }) => ({ version, entity, id, op, total })),
      [
        { version: 3, entity: 'routes', id: ids[1], op: 'delete', total: 1 },
        { version: 2, entity: 'routes', id: ids[0], op: 'upsert', total: 3 },
        { version: 2, entity: 'routes', id: ids[1], op: 'upsert', total: 3 },
      ],
    );
    for (const change of recent) {
      assert.equal(typeof change.at, 'number');
      assert.ok(Math.abs(change.at - Date.now()) < 60_000, 'a time in milliseconds, near now');
    }
  });

  test('LISTEN hears the version when the bumping transaction commits, and nothing from a rollback', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const listener = await nextPayload(db, CONFIG_CHANNEL);
    t.after(() => listener.stop());

    await assert.rejects(
      db.transaction(async (tx) => {
        await bumpConfigVersion(tx, []);
        throw new Error('rolled back');
      }),
    );
    const version = await db.transaction(async (tx) => {
      const v = await bumpConfigVersion(tx, []);
      await tx.query('SELECT 1');
      assert.deepEqual(listener.payloads, [], 'nothing is delivered before commit');
      return v;
    });
    // Notifications arrive in commit order: had the rollback notified, its payload would come first.
    assert.equal(await listener.received, String(version));
    assert.deepEqual(listener.payloads, ['1']);
  });

  test('an unlistened callback hears nothing more', async (t) => {
    const db = await open(t);
    await bootstrap(db, silent);
    const first = await nextPayload(db, CONFIG_CHANNEL);
    await first.stop();
    const second = await nextPayload(db, CONFIG_CHANNEL);
    t.after(() => second.stop());
    await db.transaction((tx) => bumpConfigVersion(tx, []));
    assert.equal(await second.received, '1');
    assert.deepEqual(first.payloads, []);
  });
}

async function currentDb(db: Datastore): Promise<string> {
  const { rows } = await db.query<{ db: string }>('SELECT current_database() AS db');
  return rows[0]?.db ?? '';
}
