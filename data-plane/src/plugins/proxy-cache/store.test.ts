import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { installMemCacheBytes } from '@turnpike/plugin-sdk';
import { CACHE_VERSION, type CachedResponse, MAX_BYTES, MemoryStores } from './store.ts';

function entry(bytes: number): CachedResponse {
  const body = Buffer.alloc(bytes, 'x');
  return {
    status: 200,
    headers: {},
    body,
    body_len: bytes,
    timestamp: 0,
    ttl: 60,
    version: CACHE_VERSION,
    req_body: null,
  };
}

describe('proxy-cache memory stores', () => {
  afterEach(() => installMemCacheBytes(undefined));

  it("are bounded by the node's memCacheBytes(), least recently used entries first", () => {
    installMemCacheBytes(10_000);
    const store = new MemoryStores().get('kong_db_cache');
    assert.equal(store.maxBytes, 10_000);
    for (let i = 0; i < 5; i++) store.store(`k${i}`, entry(3_000), 60);
    assert.ok(store.bytes <= 10_000, String(store.bytes));
    assert.equal(store.fetch('k0'), undefined);
    assert.ok(store.fetch('k4') !== undefined);
  });

  it('are made again (empty) once the size changed, as after a reload', () => {
    const stores = new MemoryStores();
    assert.equal(stores.get('d').maxBytes, MAX_BYTES);
    stores.get('d').store('k', entry(10), 60);
    assert.equal(stores.get('d').size, 1);
    installMemCacheBytes(1_000);
    assert.equal(stores.get('d').maxBytes, 1_000);
    assert.equal(stores.get('d').size, 0);
  });

  it('keep nothing with mem_cache_size = 0', () => {
    installMemCacheBytes(0);
    const store = new MemoryStores().get('d');
    store.store('k', entry(10), 60);
    assert.equal(store.fetch('k'), undefined);
    assert.equal(store.size, 0);
  });
});
