import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SyncDeltaBaseError, SyncHashMismatchError } from '@turnpike/shared';
import { hashConfig } from '@turnpike/shared/sync';
import { writeCacheFile } from './cache-file.ts';
import { ConfigStore } from './config-store.ts';
import { config, deltaOf, memoryStore, route, silent, snapshotOf } from './test-fixtures.ts';

describe('ConfigStore', () => {
  it('holds nothing until a config is committed, then keeps it on disk', async () => {
    const { store, cached } = memoryStore();
    assert.equal(store.held, undefined);
    const next = store.fromSnapshot(await snapshotOf(3, config(2)));
    assert.equal(store.held, undefined, 'decoding is not holding');
    store.commit(next);
    assert.equal(store.held, next);
    assert.deepEqual(cached, [3]);
  });

  it('does not write back what it read from the cache file', () => {
    const { store, cached } = memoryStore();
    const content = config(1);
    store.commit({ version: 2, hash: hashConfig(content), config: content }, { fromCache: true });
    assert.equal(store.held?.version, 2);
    assert.deepEqual(cached, []);
  });

  it('builds a delta onto the held config, checked by hash, and leaves the held one intact', () => {
    const { store } = memoryStore();
    const content = config(2);
    const v1 = { version: 1, hash: hashConfig(content), config: content };
    store.commit(v1);
    const candidate = store.fromDelta(
      deltaOf(v1, [route('r9'), { entity: 'routes', id: 'r0', op: 'delete' }]),
    );
    assert.equal(candidate.next.hash, hashConfig(candidate.next.config));
    assert.deepEqual([...(candidate.next.config.get('routes')?.keys() ?? [])].sort(), ['r1', 'r9']);
    assert.equal(store.held, v1);
    assert.equal(v1.config.get('routes')?.size, 2);
  });

  it('throws catalogue errors for a delta on another base and for a hash mismatch', () => {
    const { store } = memoryStore();
    const content = config(1);
    const v1 = { version: 1, hash: hashConfig(content), config: content };
    assert.throws(() => store.fromDelta(deltaOf(v1, [route('x')])), SyncDeltaBaseError);
    store.commit(v1);
    assert.throws(() => store.fromDelta(deltaOf(v1, [route('x')], 'nope')), SyncHashMismatchError);
  });

  it('reads the cache file it is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-store-'));
    try {
      const cacheFile = join(dir, 'config.cache');
      const content = config(4);
      await writeCacheFile(cacheFile, { version: 9, hash: hashConfig(content), config: content });
      const store = new ConfigStore({ cacheFile, maxPayload: 1 << 24, log: silent });
      assert.equal((await store.readCache())?.version, 9);
      assert.equal(store.held, undefined, 'read is not held until committed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
