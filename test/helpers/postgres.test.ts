import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import pg from 'pg';
import { isProcessAlive, startPostgres } from './postgres.ts';

async function queryOne(dsn: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    const { rows } = await client.query(sql);
    assert.ok(rows[0] !== undefined);
    return rows[0];
  } finally {
    await client.end();
  }
}

test('startPostgres gives a database that answers queries and makes more on demand', async () => {
  const server = await startPostgres();
  let cluster: { dataDir: string; pid: number } | undefined;
  try {
    cluster = server.cluster;
    const row = await queryOne(server.dsn, 'SELECT current_database() AS db, 1 + 1 AS two');
    assert.equal(row.db, server.database);
    assert.equal(row.two, 2);

    const second = await server.newDatabase();
    assert.notEqual(second, server.dsn);
    const empty = await queryOne(
      second,
      "SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'",
    );
    assert.equal(empty.tables, 0);

    if (cluster !== undefined) {
      assert.equal(server.host, '127.0.0.1');
      assert.ok(isProcessAlive(cluster.pid), 'the postmaster runs while the helper is in use');
    }
  } finally {
    await server[Symbol.asyncDispose]();
  }
  if (cluster !== undefined) {
    assert.equal(isProcessAlive(cluster.pid), false, 'the postmaster is gone after dispose');
    assert.equal(existsSync(cluster.dataDir), false, 'the data dir is removed after dispose');
  }
});

test('a throwaway cluster listens on 127.0.0.1 only, runs as a non-root user, and leaves nothing behind', async () => {
  const server = await startPostgres({ throwaway: true });
  const cluster = server.cluster;
  try {
    assert.ok(cluster !== undefined, 'initdb + pg_ctl, even where TURNPIKE_TEST_PG is set');
    const row = await queryOne(server.dsn, "SELECT current_setting('listen_addresses') AS listen");
    assert.equal(row.listen, '127.0.0.1');
    assert.ok(isProcessAlive(cluster.pid));
    if (process.platform === 'linux') {
      // PostgreSQL refuses to run as root: the helper starts it as another user.
      const status = await readFile(`/proc/${cluster.pid}/status`, 'utf8');
      assert.notEqual(/^Uid:\s+(\d+)/m.exec(status)?.[1], '0');
    }
  } finally {
    await server[Symbol.asyncDispose]();
  }
  assert.equal(isProcessAlive(cluster.pid), false, 'the postmaster is gone after dispose');
  assert.equal(existsSync(cluster.dataDir), false, 'the data dir is removed after dispose');
});
