// The datastore through a database outage, on a real PostgreSQL that the tests stop and start.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseError, DatabaseUnavailableError } from '@turnpike/shared';
import pg from 'pg';
import { type ShutdownMode, startPostgres, type TestPostgres } from '../../../test/helpers/postgres.ts';
import { bumpConfigVersion, CONFIG_CHANNEL } from './config-version.ts';
import { bootstrap } from './migrate.ts';
import { openDatastore } from './open.ts';
import { silent } from './store.cases.ts';
import type { Datastore } from './types.ts';

/** Polls `check` every 5 ms; returns how long it took, or fails after `ms`. */
async function within(ms: number, check: () => boolean | Promise<boolean>, what: string): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(5);
  }
  return performance.now() - start;
}

const unavailable = (err: unknown) => err instanceof DatabaseUnavailableError && err instanceof DatabaseError;

describe('a connection lost while checked out', () => {
  let server: TestPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server[Symbol.asyncDispose]());

  test('a backend terminated inside a transaction fails that transaction with 503-class DatabaseUnavailableError, and the process lives on', async (t) => {
    const dsn = await server.newDatabase();
    const db = await openDatastore({ kind: 'postgres', connectionString: dsn, poolSize: 2 }, { log: silent });
    t.after(() => db.close());
    const admin = new pg.Client({ connectionString: dsn });
    admin.on('error', () => undefined);
    await admin.connect();
    t.after(() => admin.end());

    // Between two statements the client is checked out and idle: pg-pool does not listen on it then.
    const tx = db.transaction(async (q) => {
      const { rows } = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await sleep(100);
      return q.query('SELECT 1');
    });
    await assert.rejects(tx, unavailable);
    // The pool replaced the connection; the database never went away.
    await within(2_000, () => db.health.reachable, 'reachable after the probe');
    assert.deepEqual((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await db.session(async (s) => {
      const { rows } = await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await sleep(100);
    });
  });
});

describe('the database stopped and started again', () => {
  let server: TestPostgres;
  let db: Datastore;
  before(async () => {
    server = await startPostgres({ throwaway: true });
    db = await openDatastore(
      { kind: 'postgres', connectionString: server.dsn, timeoutMs: 2000 },
      { log: silent },
    );
    await bootstrap(db, silent);
  });
  after(async () => {
    await db?.close();
    await server?.[Symbol.asyncDispose]();
  });

  for (const mode of ['fast', 'immediate', 'smart'] as const satisfies readonly ShutdownMode[]) {
    // A smart shutdown ends no session: nothing tells the datastore until its next probe is refused.
    const detectMs = mode === 'smart' ? 7_000 : 1_000;
    test(`${mode} shutdown: unreachable within ${detectMs / 1000} s, every call fails fast, and all resumes once it is back`, async () => {
      const cluster = server.cluster;
      assert.ok(cluster !== undefined);
      const versions: string[] = [];
      const stop = await db.listen(CONFIG_CHANNEL, (payload) => versions.push(payload));
      try {
        // Connections in use, checked out and idle, while the server goes away.
        const load = Promise.allSettled(
          Array.from({ length: 4 }, () => db.transaction((tx) => tx.query('SELECT pg_sleep(0.2)'))),
        );
        // A smart shutdown waits for every session: it ends only because the datastore lets go of its own.
        const stopped = cluster.stop(mode, 30);
        await within(detectMs, () => !db.health.reachable, 'unreachable');
        for (const result of await load)
          if (result.status === 'rejected') assert.ok(unavailable(result.reason), String(result.reason));
        await stopped;

        const began = performance.now();
        await assert.rejects(db.query('SELECT 1'), unavailable);
        await assert.rejects(
          db.transaction((tx) => tx.query('SELECT 1')),
          unavailable,
        );
        await assert.rejects(
          db.session((s) => s.query('SELECT 1')),
          unavailable,
        );
        assert.ok(performance.now() - began < 100, 'failing fast, without a connection attempt');

        await cluster.start();
        await within(5_000, () => db.health.reachable, 'reachable again');
        const before = versions.length;
        await within(
          5_000,
          async () => {
            await db.transaction((tx) => bumpConfigVersion(tx, []));
            await sleep(50);
            return versions.length > before;
          },
          'LISTEN hears again',
        );
      } finally {
        await stop().catch(() => undefined);
      }
    });
  }
});
