import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashConfig } from './config-hash.ts';
import { type ConfigChange, configFromEntities } from './content.ts';
import { applyDelta } from './delta.ts';

const base = configFromEntities({
  services: [
    { id: 's1', host: 'a.example' },
    { id: 's2', host: 'b.example' },
  ],
  routes: [{ id: 'r1', service: { id: 's1' }, paths: ['/a'] }],
});

describe('applyDelta', () => {
  it('gives the same hash as hashing the resulting config from scratch', () => {
    const changes: ConfigChange[] = [
      { entity: 'services', id: 's2', op: 'upsert', value: { id: 's2', host: 'c.example' } },
      { entity: 'routes', id: 'r2', op: 'upsert', value: { id: 'r2', paths: ['/b'] } },
      { entity: 'routes', id: 'r1', op: 'delete' },
      { entity: 'plugins', id: 'p1', op: 'upsert', value: { id: 'p1', name: 'key-auth' } },
    ];
    const result = applyDelta(base, hashConfig(base), changes);
    assert.equal(result.hash, hashConfig(result.config));
    assert.deepEqual(result.config.get('routes')?.get('r2'), { id: 'r2', paths: ['/b'] });
    assert.equal(result.config.get('routes')?.has('r1'), false);
  });

  it('matches from-scratch hashing over many random changes', () => {
    let config = base;
    let hash = hashConfig(base);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 50; round++) {
      const changes: ConfigChange[] = [];
      for (let i = 0; i < 10; i++) {
        const entity = random() < 0.5 ? 'services' : 'routes';
        const id = `e${Math.floor(random() * 20)}`;
        changes.push(
          random() < 0.3
            ? { entity, id, op: 'delete' }
            : { entity, id, op: 'upsert', value: { id, n: Math.floor(random() * 5) } },
        );
      }
      ({ config, hash } = applyDelta(config, hash, changes));
      assert.equal(hash, hashConfig(config), `round ${round}`);
    }
  });

  it('leaves the old config untouched and shares the entity types it did not change', () => {
    const before = JSON.stringify([...base].map(([t, m]) => [t, [...m]]));
    const result = applyDelta(base, hashConfig(base), [
      { entity: 'routes', id: 'r1', op: 'upsert', value: { id: 'r1', paths: ['/z'] } },
    ]);
    assert.equal(JSON.stringify([...base].map(([t, m]) => [t, [...m]])), before);
    assert.equal(result.config.get('services'), base.get('services'));
    assert.notEqual(result.config.get('routes'), base.get('routes'));
  });

  it('drops an entity type left empty, so an emptied config hashes as the empty config', () => {
    const one = configFromEntities({ routes: [{ id: 'r1' }] });
    const result = applyDelta(one, hashConfig(one), [{ entity: 'routes', id: 'r1', op: 'delete' }]);
    assert.equal(result.config.size, 0);
    assert.equal(result.hash, '0'.repeat(64));
  });

  it('treats deleting an absent entity as a no-op', () => {
    const hash = hashConfig(base);
    const result = applyDelta(base, hash, [{ entity: 'acls', id: 'x', op: 'delete' }]);
    assert.equal(result.hash, hash);
  });

  it('refuses an upsert without a value', () => {
    assert.throws(
      () => applyDelta(base, hashConfig(base), [{ entity: 'routes', id: 'r9', op: 'upsert' }]),
      /carries no value/,
    );
  });
});
