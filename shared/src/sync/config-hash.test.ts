import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.ts';
import { ConfigHash, hashConfig } from './config-hash.ts';
import { configFromEntities } from './content.ts';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, 1], c: null } }), '{"a":{"c":null,"d":[3,1]},"b":1}');
  });

  it('drops undefined properties and writes undefined array items as null, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ a: undefined, b: [undefined, Number.NaN] }), '{"b":[null,null]}');
  });

  it('gives the same text for objects built in different key orders', () => {
    assert.equal(canonicalJson({ x: 1, y: { p: 1, q: 2 } }), canonicalJson({ y: { q: 2, p: 1 }, x: 1 }));
  });
});

describe('ConfigHash', () => {
  const service = { id: 's1', name: 'a', host: 'example.com' };

  it('is 64 zeros for the empty config', () => {
    assert.equal(new ConfigHash().hex(), '0'.repeat(64));
    assert.equal(hashConfig(new Map()), '0'.repeat(64));
  });

  it('does not depend on the order entities are added in', () => {
    const one = new ConfigHash().add('services', 's1', service).add('routes', 'r1', { id: 'r1' }).hex();
    const two = new ConfigHash().add('routes', 'r1', { id: 'r1' }).add('services', 's1', service).hex();
    assert.equal(one, two);
  });

  it('returns to the previous hash when an entity is added then removed', () => {
    const base = new ConfigHash().add('services', 's1', service);
    const before = base.hex();
    base.add('routes', 'r1', { id: 'r1' }).remove('routes', 'r1', { id: 'r1' });
    assert.equal(base.hex(), before);
  });

  it('changes when one field of one entity changes', () => {
    const a = new ConfigHash().add('services', 's1', service).hex();
    const b = new ConfigHash().add('services', 's1', { ...service, host: 'example.org' }).hex();
    assert.notEqual(a, b);
  });

  it('tells apart the same value under another type or id', () => {
    const a = new ConfigHash().add('services', 's1', {}).hex();
    assert.notEqual(a, new ConfigHash().add('routes', 's1', {}).hex());
    assert.notEqual(a, new ConfigHash().add('services', 's2', {}).hex());
  });

  it('does not cancel an entity counted twice, as XOR would', () => {
    const twice = new ConfigHash().add('services', 's1', service).add('services', 's1', service).hex();
    assert.notEqual(twice, new ConfigHash().hex());
  });

  it('resumes from its hex form', () => {
    const hash = new ConfigHash().add('services', 's1', service);
    const resumed = new ConfigHash(hash.hex()).add('routes', 'r1', { id: 'r1' });
    assert.equal(resumed.hex(), hash.add('routes', 'r1', { id: 'r1' }).hex());
  });

  it('refuses a string that is not a hash', () => {
    assert.throws(() => new ConfigHash('xyz'), TypeError);
  });

  it('hashes a config from scratch the same as adding its entities one by one', () => {
    const config = configFromEntities({ services: [service], routes: [{ id: 'r1', paths: ['/'] }] });
    const manual = new ConfigHash()
      .add('routes', 'r1', { paths: ['/'], id: 'r1' })
      .add('services', 's1', service);
    assert.equal(hashConfig(config), manual.hex());
  });
});
