/**
 * The redis policy against a real redis-server (test/helpers/redis.ts starts one on a free port),
 * through the plugin chain: two handlers with their own connections stand for two nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisConnections } from '@turnpike/plugin-sdk/redis';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.ts';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { pluginEntity, ROUTE_ID, runRequest } from '../../plugin-chain/test-support.ts';
import { createRateLimitingHandler } from './handler.ts';
import { EMPTY_UUID, RedisPolicy } from './redis-policy.ts';
import { schema } from './schema.ts';

/** 12:00:15 UTC. */
const NOW = Date.parse('2024-05-01T12:00:15.400Z');
const MINUTE_START = Date.parse('2024-05-01T12:00:00.000Z');

let redis: TestRedis;
const connections: RedisConnections[] = [];

function node(clock = { now: NOW }) {
  const c = new RedisConnections();
  connections.push(c);
  return createRateLimitingHandler({ redis: new RedisPolicy({ connections: c }), now: () => clock.now });
}

async function send(handler: ReturnType<typeof node>, config: Record<string, unknown>, ip?: string) {
  const r = await runRequest(
    [handler],
    // On the route: Kong's keys name the plugin's route (and no service).
    { plugins: [pluginEntity('rate-limiting', configOf(schema, config), { route: ROUTE_ID })] },
    {
      headers: ip === undefined ? [] : [['x-tenant', ip]],
    },
  );
  assert.ok(r);
  const flat = r.exit === undefined ? [] : [...r.exit.headers];
  r.run.header(r.exit?.status ?? 200, flat);
  const headers: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]!.toLowerCase()] = flat[i + 1]!;
  return { status: r.exit?.status ?? 0, json: r.json, headers };
}

before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const c of connections) c.close();
  await redis?.[Symbol.asyncDispose]();
});

describe('rate-limiting redis policy', () => {
  const conf = (extra: Record<string, unknown> = {}) => ({
    minute: 3,
    policy: 'redis',
    limit_by: 'header',
    header_name: 'x-tenant',
    redis: { host: '127.0.0.1', port: redis.port },
    ...extra,
  });

  it("holds one limit across two nodes, with Kong's keys and expiry in Redis", async () => {
    const a = node();
    const b = node();
    const statuses = [];
    for (const h of [a, b, a, b]) statuses.push((await send(h, conf(), 'shared')).status);
    assert.deepEqual(statuses, [0, 0, 0, 429]);
    const key = `ratelimit:${ROUTE_ID}:${EMPTY_UUID}:shared:${MINUTE_START}:minute`;
    // As Kong, the refused request was counted too.
    assert.equal(await redis.command('GET', key), '4');
    const ttl = Number(await redis.command('TTL', key));
    assert.ok(ttl > 0 && ttl <= 60, `TTL ${ttl}`);
  });

  it("sends Kong's headers computed from the shared counts", async () => {
    const a = node();
    const first = await send(a, conf(), 'headers');
    assert.equal(first.headers['x-ratelimit-limit-minute'], '3');
    assert.equal(first.headers['x-ratelimit-remaining-minute'], '2');
    const second = await send(node(), conf(), 'headers');
    assert.equal(second.headers['x-ratelimit-remaining-minute'], '1');
    assert.equal(second.headers['ratelimit-reset'], '45');
  });

  it('maps the flat redis_* fields onto the connection (database, password)', async () => {
    await using secured = await startRedis({ password: 's3cret' });
    const h = node();
    const flat = {
      minute: 1,
      policy: 'redis',
      limit_by: 'header',
      header_name: 'x-tenant',
      redis_host: '127.0.0.1',
      redis_port: secured.port,
      redis_password: 's3cret',
      redis_database: 3,
    };
    assert.equal((await send(h, flat, 'flat')).status, 0);
    assert.equal((await send(h, flat, 'flat')).status, 429);
    const key = `ratelimit:${ROUTE_ID}:${EMPTY_UUID}:flat:${MINUTE_START}:minute`;
    assert.equal(await secured.command('GET', key), null, 'not in database 0');
    await secured.command('SELECT', '3');
    assert.equal(await secured.command('GET', key), '2');
    for (const c of connections.splice(-1)) c.close();
  });

  it('lets requests through without rate-limit headers when Redis is down (fault_tolerant)', async () => {
    await using down = await startRedis();
    await down.stop();
    const h = node();
    const r = await send(h, conf({ redis: { host: '127.0.0.1', port: down.port, timeout: 200 } }), 'down');
    assert.equal(r.status, 0, 'proxied');
    assert.equal(r.headers['x-ratelimit-limit-minute'], undefined);
  });

  it('fails the request when Redis is down and fault_tolerant is false, as Kong', async () => {
    await using down = await startRedis();
    await down.stop();
    const h = node();
    const r = await send(
      h,
      conf({ fault_tolerant: false, redis: { host: '127.0.0.1', port: down.port, timeout: 200 } }),
      'strict',
    );
    assert.equal(r.status, 500);
    assert.equal((r.json as { message: string }).message, 'An unexpected error occurred');
  });

  it('with sync_rate, counts locally and adds the deltas to Redis at most every sync_rate seconds', async () => {
    const h = node();
    const batched = conf({ sync_rate: 0.1, minute: 10 });
    for (let i = 0; i < 4; i++) assert.equal((await send(h, batched, 'batched')).status, 0);
    const key = `ratelimit:${ROUTE_ID}:${EMPTY_UUID}:batched:${MINUTE_START}:minute`;
    // The first request read (and counted) in Redis; the 3 others wait for the sync.
    assert.equal(await redis.command('GET', key), '1');
    const deadline = Date.now() + 5000;
    while ((await redis.command('GET', key)) !== '4') {
      assert.ok(Date.now() < deadline, 'synced within 5 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Another node sees the synced count.
    const other = await send(node(), batched, 'batched');
    assert.equal(other.headers['x-ratelimit-remaining-minute'], '5');
  });
});
