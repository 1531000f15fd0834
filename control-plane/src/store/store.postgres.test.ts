import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DatabaseError } from '@turnpike/shared';
import { freePort } from '../../../test/helpers/free-port.ts';
import { startPostgres, type TestPostgres } from '../../../test/helpers/postgres.ts';
import { bumpConfigVersion, CONFIG_CHANNEL } from './config-version.ts';
import { bootstrap, up } from './migrate.ts';
import { openDatastore } from './open.ts';
import { CORE_NAMES, nextPayload, silent, storeSuite, withExtra } from './store.cases.ts';
import type { Datastore } from './types.ts';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server[Symbol.asyncDispose]());

const openAt = (dsn: string) =>
  openDatastore({ kind: 'postgres', connectionString: dsn, poolSize: 5 }, { log: silent });

describe('Datastore on PostgreSQL', () => {
  storeSuite({ fresh: async () => openAt(await server.newDatabase()) });
});

describe('PostgreSQL only', () => {
  /** Polls pg_locks until `n` sessions wait for the migrations lock: they are blocked, not done. */
  async function waitForLockWaiters(db: Datastore, n: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      if ((rows[0]?.n ?? 0) >= n) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.fail(`${n} sessions never waited for the migrations lock`);
  }

  test('two nodes running up at once: one migrates, the other waits and finds nothing to do', async (t) => {
    const dsn = await server.newDatabase();
    const [holder, nodeA, nodeB] = await Promise.all([openAt(dsn), openAt(dsn), openAt(dsn)]);
    t.after(async () => {
      await Promise.all([holder.close(), nodeA.close(), nodeB.close()]);
    });
    await bootstrap(holder, silent);
    const later = withExtra({ name: '901_widgets', up: 'CREATE TABLE widgets (id int)' });

    // Hold the lock ourselves so both nodes are certainly waiting at the same time.
    const release = await holder.session(async (session) => {
      await session.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [0x54504d47, 1]);
      const runs = Promise.all([up(nodeA, silent, { sets: later }), up(nodeB, silent, { sets: later })]);
      await waitForLockWaiters(holder, 2);
      await session.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [0x54504d47, 1]);
      return runs;
    });
    const results = await release;
    const ranCounts = results.map((r) => r.ran.length).sort();
    assert.deepEqual(ranCounts, [0, 1]);
    const idle = results.find((r) => r.ran.length === 0);
    assert.deepEqual(idle?.messages, ['Database is already up-to-date']);
    const { rows } = await holder.query<{ executed: string[] }>(
      "SELECT executed FROM schema_meta WHERE key = 'schema_meta' AND subsystem = 'core'",
    );
    assert.deepEqual(rows[0]?.executed, [...CORE_NAMES, '901_widgets']);
  });

  test('two nodes bootstrapping at once: one bootstraps, the other finds it done', async (t) => {
    const dsn = await server.newDatabase();
    const [nodeA, nodeB] = await Promise.all([openAt(dsn), openAt(dsn)]);
    t.after(async () => {
      await Promise.all([nodeA.close(), nodeB.close()]);
    });
    const results = await Promise.all([bootstrap(nodeA, silent), bootstrap(nodeB, silent)]);
    assert.deepEqual(results.map((r) => r.ran.length).sort(), [0, CORE_NAMES.length]);
    assert.ok(results.some((r) => r.messages.includes('Database already bootstrapped')));
  });

  test('a write on one control plane is heard by the LISTEN of another', async (t) => {
    const dsn = await server.newDatabase();
    const [writer, reader] = await Promise.all([openAt(dsn), openAt(dsn)]);
    t.after(async () => {
      await Promise.all([writer.close(), reader.close()]);
    });
    await bootstrap(writer, silent);
    const listener = await nextPayload(reader, CONFIG_CHANNEL);
    t.after(() => listener.stop());
    await writer.transaction((tx) => bumpConfigVersion(tx, []));
    assert.equal(await listener.received, '1');
  });

  test('the LISTEN connection reconnects after it is killed and hears later versions', async (t) => {
    const db = await openAt(await server.newDatabase());
    t.after(() => db.close());
    await bootstrap(db, silent);
    let reconnected!: () => void;
    const reconnect = new Promise<void>((resolve) => {
      reconnected = resolve;
    });
    const payloads: string[] = [];
    let heard!: () => void;
    const heardTwo = new Promise<void>((resolve) => {
      heard = resolve;
    });
    const stop = await db.listen(
      CONFIG_CHANNEL,
      (payload) => {
        payloads.push(payload);
        if (payload === '2') heard();
      },
      { onReconnect: reconnected },
    );
    t.after(stop);
    const killed = await db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'turnpike-listener' AND datname = current_database()",
    );
    assert.equal(killed.rowCount, 1);
    await reconnect;
    await db.transaction((tx) => bumpConfigVersion(tx, []));
    await db.transaction((tx) => bumpConfigVersion(tx, []));
    await heardTwo;
    assert.deepEqual(payloads, ['1', '2']);
  });

  test('an unreachable server gives DatabaseError naming the DSN without its password', async () => {
    const port = await freePort();
    const dsn = `postgres://turnpike:Sup3rSecretPw@127.0.0.1:${port}/turnpike`;
    await assert.rejects(
      openDatastore({ kind: 'postgres', connectionString: dsn, timeoutMs: 2000 }),
      (err) => {
        assert.ok(err instanceof DatabaseError);
        assert.match(
          err.message,
          /^\[PostgreSQL error\] could not connect to postgres:\/\/turnpike:\*\*\*@127\.0\.0\.1/,
        );
        assert.ok(!err.message.includes('Sup3rSecretPw'));
        assert.ok(!JSON.stringify(err.cause ?? {}).includes('Sup3rSecretPw'));
        return true;
      },
    );
  });
});
