import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DatabaseError } from '@turnpike/shared';
import { bumpConfigVersion, readConfigVersion } from './config-version.ts';
import { bootstrap, status } from './migrate.ts';
import { openDatastore } from './open.ts';
import { silent, storeSuite } from './store.cases.ts';
import type { Datastore } from './types.ts';

// PGlite runs initdb in WebAssembly on every open (seconds), so the suite shares one
// in-memory instance and empties its schema before each test instead.
let shared: Datastore;
before(async () => {
  shared = await openDatastore({ kind: 'memory' });
});
after(() => shared.close());

describe('Datastore on PGlite in memory', () => {
  storeSuite({
    async fresh() {
      assert.equal(shared.kind, 'embedded');
      await shared.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public');
      // The suite closes what fresh() returns; the shared instance stays open for the next test.
      return { ...shared, close: async () => undefined };
    },
  });
});

describe('PGlite persisted in a folder', () => {
  test('what was written survives close and reopen', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-pglite-'));
    t.after(() => rm(dir, { recursive: true, force: true }));

    const first = await openDatastore({ kind: 'pglite', dir });
    try {
      await bootstrap(first, silent);
      await first.transaction((tx) => bumpConfigVersion(tx, []));
      await first.transaction((tx) => bumpConfigVersion(tx, []));
    } finally {
      await first.close();
    }

    const reopened = await openDatastore({ kind: 'pglite', dir });
    try {
      assert.equal(await readConfigVersion(reopened), 2);
      assert.equal((await status(reopened)).status, 'up_to_date');
      assert.deepEqual((await bootstrap(reopened, silent)).messages, ['Database already bootstrapped']);
    } finally {
      await reopened.close();
    }
  });

  test('a folder already open in this process is refused rather than corrupted', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-pglite-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const db = await openDatastore({ kind: 'pglite', dir });
    t.after(() => db.close());
    await assert.rejects(
      openDatastore({ kind: 'pglite', dir }),
      (err) => err instanceof DatabaseError && /already open in this process/.test(err.message),
    );
  });
});
