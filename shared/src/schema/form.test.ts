import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coerceFormInput, configRecord, definePluginSchema, ENTITIES, validateEntity } from './index.ts';

describe('coerceFormInput', () => {
  it('collects repeated keys, [] and 1-based [n] into arrays', () => {
    const out = coerceFormInput(ENTITIES.routes, {
      methods: ['GET', 'POST'],
      'paths[]': ['/a', '/b'],
      'hosts[2]': 'b.com',
      'hosts[1]': 'a.com',
    });
    assert.deepEqual(out, { methods: ['GET', 'POST'], paths: ['/a', '/b'], hosts: ['a.com', 'b.com'] });
  });

  it('wraps a single value given for an array field', () => {
    assert.deepEqual(coerceFormInput(ENTITIES.routes, { methods: 'GET', tags: 'x' }), {
      methods: ['GET'],
      tags: ['x'],
    });
  });

  it('types booleans and numbers by the schema and turns empty strings into null', () => {
    assert.deepEqual(
      coerceFormInput(ENTITIES.routes, { strip_path: 'false', regex_priority: '10', name: '', paths: '/x' }),
      { strip_path: false, regex_priority: 10, name: null, paths: ['/x'] },
    );
    assert.deepEqual(coerceFormInput(ENTITIES.services, { port: 'abc', host: 'h' }), {
      port: 'abc',
      host: 'h',
    });
  });

  it('builds maps and foreign keys from dotted keys', () => {
    assert.deepEqual(
      coerceFormInput(ENTITIES.routes, {
        'headers.x-foo': 'bar',
        'service.id': '6a9b2d1c-0e5f-4c3b-8a7d-2f1e0d9c8b7a',
      }),
      { headers: { 'x-foo': ['bar'] }, service: { id: '6a9b2d1c-0e5f-4c3b-8a7d-2f1e0d9c8b7a' } },
    );
  });

  it('types nested records of upstreams', () => {
    const out = coerceFormInput(ENTITIES.upstreams, {
      name: 'u',
      'healthchecks.active.healthy.interval': '5',
      'healthchecks.active.healthy.http_statuses': ['200', '201'],
    });
    assert.deepEqual(out, {
      name: 'u',
      healthchecks: { active: { healthy: { interval: 5, http_statuses: [200, 201] } } },
    });
  });

  it('types plugin config by the plugin schema, so the result validates', () => {
    const schema = definePluginSchema({
      name: 'rate-limiting',
      fields: {
        config: configRecord({
          minute: { type: 'number' },
          fault_tolerant: { type: 'boolean', default: true },
        }),
      },
    });
    const pluginSchemas = (n: string) => (n === 'rate-limiting' ? schema : undefined);
    const out = coerceFormInput(
      ENTITIES.plugins,
      { name: 'rate-limiting', 'config.minute': '5', 'config.fault_tolerant': 'false', enabled: 'true' },
      { pluginSchemas },
    );
    assert.deepEqual(out, {
      name: 'rate-limiting',
      config: { minute: 5, fault_tolerant: false },
      enabled: true,
    });
    assert.ok(validateEntity('plugins', out, { operation: 'insert', pluginSchemas }).ok);
  });

  it('keeps the services url shorthand as a string', () => {
    assert.deepEqual(coerceFormInput(ENTITIES.services, { url: 'http://a.com' }), { url: 'http://a.com' });
  });
});
