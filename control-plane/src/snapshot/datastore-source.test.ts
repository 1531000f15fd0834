import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@turnpike/shared';
import { hashConfig } from '@turnpike/shared/sync';
import { startPostgres, type TestPostgres } from '../../../test/helpers/postgres.ts';
import { createDao } from '../dao/index.ts';
import { bootstrap, type Datastore, openDatastore, readConfigVersion } from '../store/index.ts';
import type { LatestVersion } from './config-source.ts';
import { type DatastoreConfigSource, startDatastoreConfigSource } from './datastore-source.ts';

const log = createLogger({ level: 'silent' });
const options = { pluginSchemas: () => undefined, secrets: ['snapshot-test-secret-0123456789'] };

/** Resolves when the source publishes `version` or later. */
function reached(source: DatastoreConfigSource, version: number): Promise<LatestVersion> {
  if (source.latest().version >= version) return Promise.resolve(source.latest());
  return new Promise((resolve) => {
    const off = source.onVersion((latest) => {
      if (latest.version >= version) {
        off();
        resolve(latest);
      }
    });
  });
}

let pg: TestPostgres;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg[Symbol.asyncDispose]();
});

async function openPg(dsn: string): Promise<Datastore> {
  return openDatastore({ kind: 'postgres', connectionString: dsn });
}

describe('the snapshot builder over PostgreSQL', () => {
  test('loads what exists, then publishes each write as a delta with the hash of the whole config', async () => {
    const dsn = await pg.newDatabase();
    const db = await openPg(dsn);
    await bootstrap(db, log);
    const dao = createDao(db, options);
    const existing = await dao.entity('services').insert({ name: 'before', url: 'http://a.test' });
    const source = await startDatastoreConfigSource({
      datastore: db,
      reader: dao,
      log,
      pollIntervalMs: 60_000,
    });
    try {
      const start = source.latest();
      const snap = await source.snapshot();
      assert.equal(snap.config.get('services')?.get(existing.id) !== undefined, true);
      assert.equal(start.hash, hashConfig(snap.config));

      const route = await dao
        .entity('routes')
        .insert({ name: 'r', paths: ['/r'], service: { id: existing.id } });
      const latest = await reached(source, start.version + 1);
      assert.equal(latest.version, await readConfigVersion(db));
      const delta = await source.changesSince(start.version);
      assert.deepEqual(
        delta?.changes.map((c) => [c.entity, c.id, c.op]),
        [['routes', route.id, 'upsert']],
      );
      assert.equal(latest.hash, hashConfig((await source.snapshot()).config));

      // Deleting the route, then the service: two versions, two delete changes.
      await dao.entity('routes').delete(route.id);
      await dao.entity('services').delete(existing.id);
      const end = await reached(source, latest.version + 2);
      const deletes = await source.changesSince(latest.version);
      assert.deepEqual(
        deletes?.changes.map((c) => c.op),
        ['delete', 'delete'],
      );
      assert.equal((await source.snapshot()).config.get('services')?.size ?? 0, 0);
      assert.equal(end.hash, hashConfig((await source.snapshot()).config));
    } finally {
      await source.stop('now', Date.now());
      await db.close();
    }
  });

  test('a write through one control plane reaches the snapshot builder of another on the same database', async () => {
    const dsn = await pg.newDatabase();
    const first = await openPg(dsn);
    const second = await openPg(dsn);
    await bootstrap(first, log);
    const writer = createDao(first, options);
    const source = await startDatastoreConfigSource({
      datastore: second,
      reader: createDao(second, options),
      log,
      pollIntervalMs: 60_000,
    });
    try {
      const before = source.latest().version;
      await writer.entity('services').insert({ name: 'elsewhere', url: 'http://b.test' });
      const latest = await reached(source, before + 1);
      const names = [...((await source.snapshot()).config.get('services')?.values() ?? [])].map(
        (s) => (s as { name: string }).name,
      );
      assert.deepEqual(names, ['elsewhere']);
      assert.equal(latest.version, await readConfigVersion(first));
    } finally {
      await source.stop('now', Date.now());
      await first.close();
      await second.close();
    }
  });

  test('a burst of writes converges to the database version and the hash of a fresh load', async () => {
    const dsn = await pg.newDatabase();
    const db = await openPg(dsn);
    await bootstrap(db, log);
    const dao = createDao(db, options);
    const source = await startDatastoreConfigSource({
      datastore: db,
      reader: dao,
      log,
      pollIntervalMs: 60_000,
    });
    try {
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          dao.entity('services').insert({ name: `s${i}`, url: `http://h${i}.test` }),
        ),
      );
      const target = await readConfigVersion(db);
      const latest = await reached(source, target);
      const fresh = await startDatastoreConfigSource({
        datastore: db,
        reader: dao,
        log,
        pollIntervalMs: 60_000,
      });
      try {
        assert.equal(fresh.latest().version, latest.version);
        assert.equal(fresh.latest().hash, latest.hash);
      } finally {
        await fresh.stop('now', Date.now());
      }
    } finally {
      await source.stop('now', Date.now());
      await db.close();
    }
  });
});
