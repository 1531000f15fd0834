import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEntity } from '@turnpike/shared/schema';
import { schema } from './schema.ts';

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

  it('refuses the cluster policy as Kong does without a database', () => {
    assert.deepEqual(fieldsOf({ minute: 1, policy: 'cluster' }), {
      config: { policy: 'expected one of: local, redis' },
    });
  });

  it("fills config.redis with Kong's defaults, whatever the policy", () => {
    const result = validate({ minute: 3 });
    assert.ok(result.ok);
    assert.deepEqual(result.value.config.redis, {
      host: null,
      port: 6379,
      timeout: 2000,
      username: null,
      password: null,
      database: 0,
      ssl: false,
      ssl_verify: false,
      server_name: null,
    });
  });

  it('accepts the redis policy with the nested config.redis fields (Kong 3.8+)', () => {
    const result = validate({
      second: 10,
      policy: 'redis',
      redis: {
        host: 'redis.example',
        port: 6380,
        database: 2,
        username: 'test',
        password: 'testXXX',
        ssl: true,
        ssl_verify: false,
        timeout: 1100,
        server_name: 'redis.example',
      },
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.fields));
    const redis = result.value.config.redis as Record<string, unknown>;
    assert.equal(redis.port, 6380);
    assert.equal(redis.database, 2);
  });

  it('maps the deprecated flat redis_* fields onto config.redis, as Kong does', () => {
    const result = validate({
      second: 10,
      policy: 'redis',
      redis_host: 'redis.example',
      redis_port: 6380,
      redis_database: 3,
      redis_username: 'test',
      redis_password: 'testXXX',
      redis_ssl: true,
      redis_ssl_verify: true,
      redis_timeout: 1100,
      redis_server_name: 'sni.example',
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.fields));
    const config = result.value.config as Record<string, unknown>;
    assert.deepEqual(config.redis, {
      host: 'redis.example',
      port: 6380,
      timeout: 1100,
      username: 'test',
      password: 'testXXX',
      database: 3,
      ssl: true,
      ssl_verify: true,
      server_name: 'sni.example',
    });
    assert.equal(config.redis_host, undefined, 'the flat fields are not stored');
  });

  it("accepts a flat field equal to its nested one, and refuses them different, in Kong's words", () => {
    assert.ok(
      validate({ minute: 1, policy: 'redis', redis_host: 'a.example', redis: { host: 'a.example' } }).ok,
    );
    assert.deepEqual(
      fieldsOf({ minute: 1, policy: 'redis', redis_host: 'a.example', redis: { host: 'b.example' } }),
      {
        config: {
          redis_host:
            'both deprecated and new field are used but their values mismatch: redis_host = a.example vs redis.host = b.example',
        },
      },
    );
  });

  it('checks a flat field against its own type', () => {
    assert.deepEqual(fieldsOf({ minute: 1, policy: 'redis', redis_host: 'h', redis_port: 'x' }), {
      config: { redis_port: 'expected an integer' },
    });
  });

  it('requires config.redis.host with the redis policy, as Kong words it', () => {
    assert.deepEqual(fieldsOf({ minute: 1, policy: 'redis' }), {
      '@entity': ["failed conditional validation given value of field 'config.policy'"],
      config: { redis: { host: 'required field missing' } },
    });
  });

  it('refuses a sync_rate under 0.02 with the redis policy', () => {
    assert.deepEqual(fieldsOf({ minute: 1, policy: 'redis', redis: { host: 'h' }, sync_rate: 0.01 }), {
      config: 'sync_rate must be greater than 0.02, or -1 to disable',
    });
    assert.ok(validate({ minute: 1, policy: 'redis', redis: { host: 'h' }, sync_rate: 0.5 }).ok);
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
