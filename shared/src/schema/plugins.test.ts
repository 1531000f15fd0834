import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  configRecord,
  definePluginSchema,
  ENTITIES,
  noConsumer,
  type PluginSchema,
  validateEntity,
} from './index.ts';
import * as typedefs from './typedefs.ts';

const rateLimiting = definePluginSchema({
  name: 'rate-limiting',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: configRecord(
      {
        minute: { type: 'number', gt: 0 },
        hour: { type: 'number', gt: 0 },
        policy: { type: 'string', default: 'local', one_of: ['local', 'cluster', 'redis'] },
        redis: { type: 'record', fields: { port: typedefs.port({ default: 6379 }) } },
      },
      [{ at_least_one_of: ['minute', 'hour'] }],
    ),
  },
});
const keyAuth = definePluginSchema({
  name: 'key-auth',
  fields: {
    consumer: noConsumer,
    config: configRecord({
      key_names: { type: 'array', elements: typedefs.headerName(), default: ['apikey'] },
    }),
  },
});
const schemas: Record<string, PluginSchema> = { 'rate-limiting': rateLimiting, 'key-auth': keyAuth };
const options = { operation: 'insert', now: 1, pluginSchemas: (n: string) => schemas[n] } as const;
const CONSUMER = { id: '6a9b2d1c-0e5f-4c3b-8a7d-2f1e0d9c8b7a' };

describe('plugins', () => {
  it('fills the plugin config defaults and the entity defaults', () => {
    const r = validateEntity('plugins', { name: 'rate-limiting', config: { minute: 5 } }, options);
    assert.ok(r.ok);
    assert.deepEqual(r.value.config, { minute: 5, hour: null, policy: 'local', redis: null });
    assert.deepEqual(r.value.protocols, ['grpc', 'grpcs', 'http', 'https']);
    assert.equal(r.value.enabled, true);
    assert.deepEqual(
      [r.value.route, r.value.service, r.value.consumer, r.value.instance_name],
      [null, null, null, null],
    );
  });

  it('expands a missing config into its defaults', () => {
    const r = validateEntity('plugins', { name: 'key-auth' }, options);
    assert.ok(r.ok);
    assert.deepEqual(r.value.config, { key_names: ['apikey'] });
  });

  it("says a plugin without a schema is not enabled, in Kong's words", () => {
    assert.deepEqual(validateEntity('plugins', { name: 'nope' }, options), {
      ok: false,
      fields: { name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property" },
    });
    assert.deepEqual(validateEntity('plugins', {}, options), {
      ok: false,
      fields: { name: 'required field missing' },
    });
  });

  it('nests config errors under fields.config, record checks under config.@entity', () => {
    const r = validateEntity(
      'plugins',
      { name: 'rate-limiting', config: { policy: 'x', redis: { port: -1 }, extra: 1 } },
      options,
    );
    assert.ok(!r.ok);
    assert.deepEqual(r.fields, {
      config: {
        policy: 'expected one of: local, cluster, redis',
        redis: { port: 'value should be between 0 and 65535' },
        extra: 'unknown field',
        '@entity': ["at least one of these fields must be non-empty: 'minute', 'hour'"],
      },
    });
  });

  it('merges a partial config of an update into the stored one, records deeply and arrays whole', () => {
    const stored = validateEntity(
      'plugins',
      { name: 'rate-limiting', config: { minute: 5, redis: { port: 6380 } } },
      options,
    );
    assert.ok(stored.ok);
    const update = (input: Record<string, unknown>) =>
      validateEntity('plugins', input, {
        operation: 'update',
        now: 2,
        current: stored.value,
        pluginSchemas: options.pluginSchemas,
      });
    const r = update({ enabled: false, config: { hour: 100 } });
    assert.ok(r.ok);
    assert.deepEqual(r.value.config, { minute: 5, hour: 100, policy: 'local', redis: { port: 6380 } });
    assert.equal(r.value.enabled, false);
    const nested = update({ config: { redis: {} } });
    assert.ok(nested.ok);
    assert.deepEqual(nested.value.config, { minute: 5, hour: null, policy: 'local', redis: { port: 6380 } });

    const keys = validateEntity('plugins', { name: 'key-auth', config: { key_names: ['a', 'b'] } }, options);
    assert.ok(keys.ok);
    const replaced = validateEntity(
      'plugins',
      { config: { key_names: ['c'] } },
      { operation: 'update', now: 2, current: keys.value, pluginSchemas: options.pluginSchemas },
    );
    assert.ok(replaced.ok);
    assert.deepEqual(replaced.value.config, { key_names: ['c'] }, 'an array is replaced, not merged');
  });

  it('validates the merged config of an update: a record check sees the stored fields', () => {
    const stored = validateEntity('plugins', { name: 'rate-limiting', config: { minute: 5 } }, options);
    assert.ok(stored.ok);
    const update = (config: Record<string, unknown>) =>
      validateEntity(
        'plugins',
        { config },
        { operation: 'update', now: 2, current: stored.value, pluginSchemas: options.pluginSchemas },
      );
    assert.ok(update({ hour: null }).ok, 'the stored minute still satisfies the check');
    const r = update({ minute: null });
    assert.ok(!r.ok);
    assert.deepEqual(r.fields, {
      config: { '@entity': ["at least one of these fields must be non-empty: 'minute', 'hour'"] },
    });
  });

  it('lets the plugin schema narrow the entity fields', () => {
    const r = validateEntity('plugins', { name: 'key-auth', consumer: CONSUMER }, options);
    assert.ok(!r.ok);
    assert.equal(r.fields.consumer, 'value must be null');
    const p = validateEntity(
      'plugins',
      { name: 'rate-limiting', config: { minute: 1 }, protocols: ['tcp'] },
      options,
    );
    assert.ok(!p.ok);
    assert.deepEqual(p.fields.protocols, ['expected one of: grpc, grpcs, http, https']);
  });

  it('declares uniqueness on name, route, service and consumer', () => {
    assert.deepEqual(ENTITIES.plugins.cache_key, ['name', 'route', 'service', 'consumer']);
    assert.equal(ENTITIES.plugins.fields.route.on_delete, 'cascade');
    assert.equal(ENTITIES.plugins.fields.consumer.on_delete, 'cascade');
  });
});
