import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type ClusterCerts, genClusterCert, startControlPlaneNode } from '../helpers/cluster.ts';
import { eventually } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

let db: TestPostgres;
let certs: ClusterCerts;
before(async () => {
  db = await startPostgres();
  certs = await genClusterCert();
});
after(async () => {
  await certs?.[Symbol.asyncDispose]();
  await db?.[Symbol.asyncDispose]();
});

async function versionOf(statusUrl: string): Promise<number> {
  const body = (await (await fetch(`${statusUrl}/status`)).json()) as {
    control_plane: { config_version: number };
  };
  return body.control_plane.config_version;
}

/** Connections the node named `application_name = turnpike` holds on `dsn`'s database. */
async function connections(dsn: string): Promise<number> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'turnpike'",
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

describe('pg_max_concurrent_queries', () => {
  test('caps the connections a node uses, however many requests come at once', async () => {
    // The burst's reads wait on a lock the test holds, so they are all in flight at once whatever
    // the machine's speed; the connections are counted while they wait, then the lock is let go.
    const burstWhileLocked = async (dsn: string, adminUrl: string): Promise<number> => {
      const locker = new pg.Client({ connectionString: dsn });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE services IN ACCESS EXCLUSIVE MODE');
        const answers = Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            fetch(`${adminUrl}/services?size=${i + 1}`).then((r) => r.status),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const held = await connections(dsn);
        await locker.query('COMMIT');
        assert.deepEqual(new Set(await answers), new Set([200]));
        return held;
      } finally {
        await locker.end();
      }
    };
    const capped = await db.newDatabase();
    {
      await using cp = await startControlPlaneNode(capped, certs, {
        env: { TURNPIKE_PG_MAX_CONCURRENT_QUERIES: '1' },
      });
      const created = await fetch(`${cp.adminUrl}/services`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'one', url: 'http://127.0.0.1:1' }),
      });
      assert.equal(created.status, 201);
      // The pool's one connection, and the one LISTEN holds.
      const held = await burstWhileLocked(capped, cp.adminUrl);
      assert.ok(held <= 2, `${held} connections`);
    }
    const uncapped = await db.newDatabase();
    await using cp = await startControlPlaneNode(uncapped, certs);
    const held = await burstWhileLocked(uncapped, cp.adminUrl);
    assert.ok(held > 2, `without the cap the same burst opens more (${held}): the check can fail`);
  });
});

describe('db_update_frequency', () => {
  test('is how often a control plane checks for a change another writer made without NOTIFY', async () => {
    const dsn = await db.newDatabase();
    await using fast = await startControlPlaneNode(dsn, certs, {
      env: { TURNPIKE_DB_UPDATE_FREQUENCY: '1' },
    });
    await using slow = await startControlPlaneNode(dsn, certs, {
      env: { TURNPIKE_DB_UPDATE_FREQUENCY: '3600' },
    });
    const before = await versionOf(fast.statusUrl);
    assert.equal(await versionOf(slow.statusUrl), before);

    // A new version as another writer would leave it, without the NOTIFY a control plane sends.
    const client = new pg.Client({ connectionString: dsn });
    await client.connect();
    try {
      await client.query('UPDATE config_state SET config_version = config_version + 1 WHERE id');
    } finally {
      await client.end();
    }

    await eventually(
      () => versionOf(fast.statusUrl),
      (v) => v === before + 1,
      10_000,
    );
    // Past the default frequency (5 s): the other one, polling hourly, has not looked yet.
    await sleep(6_000);
    assert.equal(await versionOf(slow.statusUrl), before);
  });
});
