import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEntity } from '@turnpike/shared/schema';
import { compileLimits, parseIncrements } from './handler.ts';
import { schema } from './schema.ts';

function validate(config: Record<string, unknown>) {
  return validateEntity(
    'plugins',
    { name: 'response-ratelimiting', config },
    { operation: 'insert', pluginSchemas: (n) => (n === 'response-ratelimiting' ? schema : undefined) },
  );
}

function configErrors(config: Record<string, unknown>): unknown {
  const result = validate(config);
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? undefined : (result.fields as { config?: unknown }).config;
}

describe('response-ratelimiting schema (Kong 3.10 spec 24-response-rate-limiting/01-schema_spec)', () => {
  it("fills Kong's defaults", () => {
    const result = validate({ limits: { video: { second: 1 } } });
    assert.ok(result.ok);
    const c = result.value.config as Record<string, unknown>;
    assert.equal(c.header_name, 'x-kong-limit');
    assert.equal(c.limit_by, 'consumer');
    assert.equal(c.policy, 'local');
    assert.equal(c.fault_tolerant, true);
    assert.equal(c.block_on_first_violation, false);
    assert.equal(c.hide_client_headers, false);
    assert.equal((c.redis as Record<string, unknown>).port, 6379);
  });

  it('requires limits, at least one', () => {
    assert.deepEqual(configErrors({}), { limits: 'required field missing' });
    assert.deepEqual(configErrors({ limits: {} }), { limits: 'length must be at least 1' });
  });

  it('refuses an unknown period and a limit that is not a record', () => {
    const unknown = configErrors({ limits: { video: { seco: 1 } } }) as { limits: Record<string, unknown> };
    assert.equal(unknown.limits.seco, 'unknown field');
    assert.deepEqual(configErrors({ limits: { second: 10 } }), { limits: 'expected a record' });
  });

  it('accepts a null period beside a set one (Kong issue #8314)', () => {
    assert.ok(validate({ limits: { video: { second: null, minute: 1 } } }).ok);
  });

  it("refuses a longer period's limit below a shorter one's, in Kong's words", () => {
    assert.deepEqual(configErrors({ limits: { video: { second: 2, minute: 1 } } }), {
      limits: 'the limit for minute(1.0) cannot be lower than the limit for second(2.0)',
    });
    assert.deepEqual(
      configErrors({ limits: { video: { second: 1, minute: 2, hour: 3, day: 4, month: 6, year: 5 } } }),
      { limits: 'the limit for year(5.0) cannot be lower than the limit for month(6.0)' },
    );
  });

  it('takes the redis fields nested and flat, and requires the host with the redis policy', () => {
    const nested = validate({
      limits: { video: { second: 1 } },
      policy: 'redis',
      redis: { host: 'r.example' },
    });
    assert.ok(nested.ok);
    const flat = validate({
      limits: { video: { second: 1 } },
      policy: 'redis',
      redis_host: 'r.example',
      redis_port: 6380,
      redis_database: 2,
    });
    assert.ok(flat.ok);
    const redis = (flat.value.config as { redis: Record<string, unknown> }).redis;
    assert.deepEqual([redis.host, redis.port, redis.database], ['r.example', 6380, 2]);
    const missing = validate({ limits: { video: { second: 1 } }, policy: 'redis' });
    assert.equal(missing.ok, false);
    assert.deepEqual(!missing.ok && missing.fields.config, { redis: { host: 'required field missing' } });
  });
});

describe('the X-Kong-Limit header (Kong parse_header)', () => {
  const limits = compileLimits({ limits: { video: { minute: 1 }, image: { minute: 1 } } } as never);
  it('reads name=N pairs for configured names only, spaces trimmed', () => {
    assert.deepEqual(
      [...parseIncrements(' video = 2 ,image=1, audio=3', limits)],
      [
        ['video', 2],
        ['image', 1],
      ],
    );
  });
  it('ignores malformed pairs and drops a name whose count is not an integer', () => {
    assert.deepEqual([...parseIncrements('video=1=2, image, video=1.5', limits)], []);
    assert.deepEqual([...parseIncrements(undefined, limits)], []);
  });
});
