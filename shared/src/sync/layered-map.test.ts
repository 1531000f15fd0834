import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { hashConfig } from './config-hash.ts';
import { configFromEntities, plainConfig } from './content.ts';
import { applyDelta } from './delta.ts';
import { LayeredMap } from './layered-map.ts';

describe('LayeredMap', () => {
  it('behaves as a Map over random sets and deletes, folding its layers, and leaves older maps intact', () => {
    let layered = LayeredMap.of(new Map([['k0', 0]]));
    const model = new Map([['k0', 0]]);
    const snapshots: [LayeredMap<string, number>, Map<string, number>][] = [];
    let seed = 3;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let step = 0; step < 2000; step++) {
      const changes: [string, number | undefined][] = [];
      for (let c = 0; c < 3; c++) {
        const key = `k${Math.floor(next() * 300)}`;
        const value = next() < 0.3 ? undefined : step;
        changes.push([key, value]);
        if (value === undefined) model.delete(key);
        else model.set(key, value);
      }
      layered = layered.with(changes);
      if (step % 250 === 0) snapshots.push([layered, new Map(model)]);
    }
    for (const [map, expected] of [...snapshots, [layered, model] as const]) {
      assert.equal(map.size, expected.size);
      assert.deepEqual(new Map(map), expected);
      for (const key of ['k0', 'k5', 'k299', 'absent']) assert.equal(map.get(key), expected.get(key));
    }
  });
});

describe('plainConfig', () => {
  it('gives what structured clone carries whole, after a delta made layered maps', () => {
    const base = configFromEntities({ routes: [{ id: 'r1' }, { id: 'r2' }] });
    const { config } = applyDelta(base, hashConfig(base), [
      { entity: 'routes', id: 'r3', op: 'upsert', value: { id: 'r3' } },
    ]);
    const cloned = deserialize(serialize(plainConfig(config)));
    assert.equal(hashConfig(cloned), hashConfig(config));
    assert.deepEqual([...cloned.get('routes').keys()].sort(), ['r1', 'r2', 'r3']);
  });
});
