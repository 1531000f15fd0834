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
