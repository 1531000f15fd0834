import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEntity } from '@turnpike/shared/schema';
import { REDIS_UNSUPPORTED, schema } from './schema.ts';

function validate(config: Record<string, unknown>) {
  return validateEntity(
    'plugins',
    { name: 'rate-limiting', config },
    { operation: 'insert', pluginSchemas: (n) => (n === 'rate-limiting' ? schema : undefined) },
  );
}

function fieldsOf(config: Record<string, unknown>): unknown {
  const result = validate(config);
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? undefined : result.fields;
}

describe('rate-limiting schema', () => {
  it("fills Kong's defaults", () => {
    const result = validate({ minute: 3 });
    assert.ok(result.ok);
    const config = result.value.config;
    assert.equal(config.limit_by, 'consumer');
    assert.equal(config.policy, 'local');
    assert.equal(config.fault_tolerant, true);
    assert.equal(config.hide_client_headers, false);
    assert.equal(config.error_code, 429);
    assert.equal(config.error_message, 'API rate limit exceeded');
    assert.equal(config.sync_rate, -1);
    assert.equal(config.second, null);
    assert.deepEqual(result.value.protocols, ['grpc', 'grpcs', 'http', 'https']);
  });

  it('requires at least one limit, naming the fields as Kong does (config.second …)', () => {
    assert.deepEqual(fieldsOf({}), {
      '@entity': [
        "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
      ],
    });
  });

  it('requires header_name when limiting by header, as Kong words it', () => {
    assert.deepEqual(fieldsOf({ minute: 5, limit_by: 'header' }), {
      '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
      config: { header_name: 'required field missing' },
    });
  });

  it('refuses a limit that is not above 0', () => {
    assert.deepEqual(fieldsOf({ minute: 0 }), { config: { minute: 'value must be greater than 0' } });
  });

  it("refuses a longer period's limit below a shorter one's, with Kong's message", () => {
    assert.deepEqual(fieldsOf({ second: 20, hour: 10 }), {
      config: 'The limit for hour(10.0) cannot be lower than the limit for second(20.0)',
    });
  });

  it('refuses the cluster policy as Kong does without a database, and redis as not implemented', () => {
    assert.deepEqual(fieldsOf({ minute: 1, policy: 'cluster' }), {
      config: { policy: 'expected one of: local, redis' },
    });
    assert.deepEqual(fieldsOf({ minute: 1, policy: 'redis' }), { config: { policy: REDIS_UNSUPPORTED } });
  });

  it('refuses sync_rate without the redis policy', () => {
    assert.deepEqual(fieldsOf({ minute: 1, sync_rate: 10 }), {
      config: 'sync_rate can only be used with the redis policy',
    });
  });

  it('requires header_name when limiting by header, and path when limiting by path', () => {
    const header = fieldsOf({ minute: 1, limit_by: 'header' }) as { config: Record<string, unknown> };
    assert.equal(header.config.header_name, 'required field missing');
    const path = fieldsOf({ minute: 1, limit_by: 'path' }) as { config: Record<string, unknown> };
    assert.equal(path.config.path, 'required field missing');
    assert.ok(validate({ minute: 1, limit_by: 'header', header_name: 'x-tenant' }).ok);
  });

  it('refuses an unknown limit_by', () => {
    assert.deepEqual(fieldsOf({ minute: 1, limit_by: 'tenant' }), {
      config: { limit_by: 'expected one of: consumer, credential, ip, service, header, path' },
    });
  });
});
