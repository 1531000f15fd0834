import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDelta, configFromEntities, hashConfig } from '@turnpike/shared/sync';
import { MemoryConfigSource } from './memory-config-source.ts';

const upsert = (id: string, n: number) => ({
  entity: 'routes',
  id,
  op: 'upsert' as const,
  value: { id, n },
});

describe('MemoryConfigSource', () => {
  it('publishes each apply as the next version and tells listeners', () => {
    const source = new MemoryConfigSource();
    const seen: number[] = [];
    source.onVersion((latest) => seen.push(latest.version));
    source.apply([upsert('r1', 1)]);
    source.apply([upsert('r2', 2)]);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(source.latest().version, 2);
  });

  it('merges the change log since a version into one change set that reproduces the latest hash', async () => {
    const source = new MemoryConfigSource({ config: configFromEntities({ services: [{ id: 's1' }] }) });
    const start = await source.snapshot();
    source.apply([upsert('r1', 1)]);
    source.apply([upsert('r1', 2), upsert('r2', 1)]);
    source.apply([{ entity: 'routes', id: 'r2', op: 'delete' }]);
    const changes = await source.changesSince(start.version);
    assert.ok(changes);
    assert.equal(changes.fromHash, start.hash);
    const applied = applyDelta(start.config, start.hash, changes.changes);
    assert.equal(applied.hash, source.latest().hash);
    assert.equal(applied.hash, hashConfig((await source.snapshot()).config));
  });

  it('answers undefined once the log no longer reaches back to a version', async () => {
    const source = new MemoryConfigSource({ maxLogVersions: 2 });
    for (let i = 0; i < 5; i++) source.apply([upsert(`r${i}`, i)]);
    assert.equal(await source.changesSince(1), undefined);
    assert.equal((await source.changesSince(3))?.changes.length, 2);
    assert.equal(await source.changesSince(99), undefined);
  });

  it('lists the plugin names the config uses', () => {
    const source = new MemoryConfigSource({
      config: configFromEntities({
        plugins: [
          { id: 'p1', name: 'key-auth' },
          { id: 'p2', name: 'acl' },
          { id: 'p3', name: 'key-auth' },
        ],
      }),
    });
    assert.deepEqual(source.pluginsInUse(), ['acl', 'key-auth']);
  });

  it('restarts the log on replace, so older versions get a snapshot', async () => {
    const source = new MemoryConfigSource();
    source.apply([upsert('r1', 1)]);
    source.replace(configFromEntities({ routes: [{ id: 'x' }] }));
    assert.equal(await source.changesSince(1), undefined);
    assert.equal(source.latest().version, 2);
  });
});
