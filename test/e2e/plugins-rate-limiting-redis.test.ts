/**
 * rate-limiting's redis policy in hybrid mode: a control plane on PostgreSQL, two data planes, a
 * real redis-server (Debian's package, on a free loopback port). The plugin is written through the
 * Admin API with Kong's deprecated flat `redis_*` fields; both data planes count in the one Redis,
 * so N per minute holds as N in total. With Redis gone, requests go through (fault_tolerant).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type ClusterCerts,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { serviceAndRoute } from './custom-plugin-fixtures.ts';

let pg: TestPostgres;
let certs: ClusterCerts;
let redis: TestRedis;
before(async () => {
  pg = await startPostgres();
  certs = await genClusterCert();
  redis = await startRedis();
});
after(async () => {
  await redis?.[Symbol.asyncDispose]();
  await certs?.[Symbol.asyncDispose]();
  await pg?.[Symbol.asyncDispose]();
});

const LIMIT = 5;

function tenant(name: string) {
  return { 'x-tenant': name };
}

/** Waits for a fresh minute when the current one has under 20 s left, so no window ends mid-test. */
async function roomInThisMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 100));
}

describe('rate-limiting with the redis policy across data planes', () => {
  test("refuses a redis policy without a host, in Kong's words", async () => {
    await using cp = await startControlPlaneNode(await pg.newDatabase(), certs);
    const res = await http('POST', `${cp.adminUrl}/plugins`, {
      name: 'rate-limiting',
      config: { minute: 1, policy: 'redis' },
    });
    assert.equal(res.status, 400, res.text);
    const body = res.body as { name: string; fields: unknown };
    assert.equal(body.name, 'schema violation');
    assert.deepEqual(body.fields, {
      '@entity': ["failed conditional validation given value of field 'config.policy'"],
      config: { redis: { host: 'required field missing' } },
    });
    const mismatch = await http('POST', `${cp.adminUrl}/plugins`, {
      name: 'rate-limiting',
      config: { minute: 1, policy: 'redis', redis_host: 'a.example', redis: { host: 'b.example' } },
    });
    assert.equal(mismatch.status, 400, mismatch.text);
    assert.deepEqual((mismatch.body as { fields: unknown }).fields, {
      config: {
        redis_host:
          'both deprecated and new field are used but their values mismatch: redis_host = a.example vs redis.host = b.example',
      },
    });
  });

  test('N per minute holds as N in total over two data planes; Redis down lets requests through', async () => {
    await using upstream = await startEchoUpstream('rl');
    await using cp = await startControlPlaneNode(await pg.newDatabase(), certs);
    await using dp1 = await startDataPlaneNode(cp.clusterPort, certs);
    await using dp2 = await startDataPlaneNode(cp.clusterPort, certs);
    await serviceAndRoute(cp.adminUrl, 'rl', upstream.url, '/rl');
    const created = await http('POST', `${cp.adminUrl}/services/rl/plugins`, {
      name: 'rate-limiting',
      config: {
        minute: LIMIT,
        policy: 'redis',
        limit_by: 'header',
        header_name: 'x-tenant',
        // Kong's deprecated flat fields, as older kong.yml files carry them.
        redis_host: redis.host,
        redis_port: redis.port,
        redis_timeout: 500,
      },
    });
    assert.equal(created.status, 201, created.text);
    const config = (created.body as { config: { redis: Record<string, unknown> } }).config;
    assert.equal(config.redis.host, redis.host);
    assert.equal(config.redis.port, redis.port);
    assert.equal(config.redis.timeout, 500);

    for (const dp of [dp1, dp2]) {
      await eventually(
        () => http('GET', `${dp.proxyUrl}/rl`, undefined, tenant('probe')),
        (r) => r.headers.get('x-ratelimit-limit-minute') === String(LIMIT),
      );
    }

    await roomInThisMinute();
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) {
      const dp = i % 2 === 0 ? dp1 : dp2;
      statuses.push((await http('GET', `${dp.proxyUrl}/rl`, undefined, tenant('shared'))).status);
    }
    assert.equal(statuses.filter((s) => s === 200).length, LIMIT, `statuses ${statuses}`);
    assert.deepEqual(statuses.slice(LIMIT), Array(LIMIT).fill(429));
    const refused = await http('GET', `${dp2.proxyUrl}/rl`, undefined, tenant('shared'));
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, { message: 'API rate limit exceeded' });
    assert.equal(refused.headers.get('x-ratelimit-remaining-minute'), '0');
    const keys = (await redis.command('KEYS', 'ratelimit:*:shared:*:minute')) as string[];
    assert.equal(keys.length, 1, `one shared counter: ${keys}`);

    // Redis gone: fault_tolerant lets the request through, without rate-limit headers.
    await redis.stop();
    for (const dp of [dp1, dp2]) {
      const res = await http('GET', `${dp.proxyUrl}/rl`, undefined, tenant('shared'));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('x-ratelimit-limit-minute'), null);
    }
    // Back: the nodes reconnect on their own and limit again.
    await redis.start();
    await eventually(
      () => http('GET', `${dp1.proxyUrl}/rl`, undefined, tenant('after')),
      (r) => r.headers.get('x-ratelimit-limit-minute') === String(LIMIT),
    );
  });
});
