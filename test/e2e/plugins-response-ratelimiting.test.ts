/**
 * response-ratelimiting end to end: proxies in this process (plugin-fixtures.ts: entities through
 * the control plane's DAO, synced as a snapshot), real sockets to an upstream that spends limits
 * through `X-Kong-Limit` (the cost comes from the request's `x-cost` header, repeated as given),
 * and a real redis-server for the redis policy shared by two proxies.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { closeSharedRedisConnections } from '@turnpike/plugin-sdk/redis';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { bundledPlugins, type PluginProxy, plugin, pluginProxy } from './plugin-fixtures.ts';
import { type RecordingUpstream, recordingUpstream, send } from './proxy-fixtures.ts';

const ids = {
  service: '00000000-0000-4000-8000-000000000001',
  video: '00000000-0000-4000-8000-0000000000e0',
  multi: '00000000-0000-4000-8000-0000000000e1',
  block: '00000000-0000-4000-8000-0000000000e2',
  hidden: '00000000-0000-4000-8000-0000000000e3',
  shared: '00000000-0000-4000-8000-0000000000e4',
  down: '00000000-0000-4000-8000-0000000000e5',
};

function route(id: string, path: string) {
  return { id, paths: [path], service: { id: ids.service } };
}

/** Answers 200 with `X-Kong-Limit` set from each `x-cost` request header. */
function spender(req: IncomingMessage, res: ServerResponse): void {
  const cost = req.headers['x-cost'];
  const headers: [string, string][] = [['content-type', 'text/plain']];
  for (const c of Array.isArray(cost) ? cost : cost === undefined ? [] : [cost])
    headers.push(['x-kong-limit', c]);
  res.writeHead(200, headers.flat());
  res.end(`remaining video ${req.headers['x-ratelimit-remaining-video'] ?? '-'}`);
}

describe('response-ratelimiting through the proxy', () => {
  let upstream: RecordingUpstream;
  let redis: TestRedis;
  let proxy: PluginProxy;
  let nodeA: PluginProxy;
  let nodeB: PluginProxy;

  before(async () => {
    const plugins = await bundledPlugins();
    upstream = await recordingUpstream(spender);
    redis = await startRedis();
    const gone = await startRedis();
    await gone[Symbol.asyncDispose]();
    const redisConf = { policy: 'redis', redis: { host: '127.0.0.1', port: redis.port } };
    const entities = {
      services: [{ id: ids.service, protocol: 'http', host: '127.0.0.1', port: upstream.port }],
      routes: [
        route(ids.video, '/video'),
        route(ids.multi, '/multi'),
        route(ids.block, '/block'),
        route(ids.hidden, '/hidden'),
        route(ids.shared, '/shared'),
        route(ids.down, '/down'),
      ],
      plugins: [
        plugin('response-ratelimiting', ids.video, { limits: { video: { minute: 3 } } }),
        plugin('response-ratelimiting', ids.multi, {
          limits: { video: { minute: 2, hour: 10 }, image: { minute: 4 } },
        }),
        plugin('response-ratelimiting', ids.block, {
          limits: { video: { minute: 1 }, image: { minute: 5 } },
          block_on_first_violation: true,
        }),
        plugin('response-ratelimiting', ids.hidden, {
          limits: { video: { minute: 1 } },
          hide_client_headers: true,
        }),
        plugin('response-ratelimiting', ids.shared, { limits: { video: { minute: 2 } }, ...redisConf }),
        plugin('response-ratelimiting', ids.down, {
          limits: { video: { minute: 1 } },
          policy: 'redis',
          redis: { host: '127.0.0.1', port: gone.port, timeout: 200 },
        }),
      ],
    };
    proxy = await pluginProxy(plugins, entities);
    nodeA = await pluginProxy(plugins, entities);
    nodeB = await pluginProxy(plugins, entities);
  });

  after(async () => {
    await proxy?.[Symbol.asyncDispose]();
    await nodeA?.[Symbol.asyncDispose]();
    await nodeB?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
    closeSharedRedisConnections();
    await redis?.[Symbol.asyncDispose]();
  });

  it('tells the service what is left and the client what each response spent; then answers 429', async () => {
    const first = await send(proxy.port, '/video', { 'x-cost': 'video=1' });
    assert.equal(first.status, 200);
    assert.equal(upstream.received.at(-1)?.headers['x-ratelimit-remaining-video'], '3');
    assert.equal(first.headers['x-ratelimit-limit-video-minute'], '3');
    assert.equal(first.headers['x-ratelimit-remaining-video-minute'], '2');
    assert.equal(
      first.headers['x-kong-limit'],
      undefined,
      'the cost header stays between service and gateway',
    );
    assert.equal(
      (await send(proxy.port, '/video', { 'x-cost': 'video=2' })).headers[
        'x-ratelimit-remaining-video-minute'
      ],
      '0',
    );
    // A response that spends nothing passes, even with the limit used up.
    const free = await send(proxy.port, '/video');
    assert.equal(free.status, 200);
    assert.equal(upstream.received.at(-1)?.headers['x-ratelimit-remaining-video'], '0');
    const before = upstream.received.length;
    const refused = await send(proxy.port, '/video', { 'x-cost': 'video=1' });
    assert.equal(refused.status, 429);
    assert.equal(refused.body, '', 'no body, as Kong');
    assert.equal(refused.headers['content-length'], '0');
    assert.equal(refused.headers['x-ratelimit-remaining-video-minute'], '0');
    assert.equal(
      upstream.received.length - before,
      1,
      'the service answered; the gateway replaced the answer',
    );
  });

  it('counts several limits, combining repeated X-Kong-Limit headers; unknown names and bad numbers count nothing', async () => {
    const r = await send(proxy.port, '/multi', { 'x-cost': ['video=1', 'image=2, audio=5, video=x'] });
    assert.equal(r.status, 200);
    // `video=x` came last: Kong's tonumber gives nil and the name counts nothing.
    assert.equal(r.headers['x-ratelimit-remaining-video-minute'], '2');
    assert.equal(r.headers['x-ratelimit-remaining-video-hour'], '10');
    assert.equal(r.headers['x-ratelimit-remaining-image-minute'], '2');
    assert.equal(r.headers['x-ratelimit-limit-audio-minute'], undefined);
    const again = await send(proxy.port, '/multi', { 'x-cost': 'image=1,video=1' });
    assert.equal(again.headers['x-ratelimit-remaining-image-minute'], '1');
    assert.equal(again.headers['x-ratelimit-remaining-video-minute'], '1');
    assert.equal(upstream.received.at(-1)?.headers['x-ratelimit-remaining-image'], '2');
    // The least remaining over a limit's periods goes to the service.
    assert.equal(upstream.received.at(-1)?.headers['x-ratelimit-remaining-video'], '2');
  });

  it('with block_on_first_violation, refuses in access once any limit is used up', async () => {
    assert.equal((await send(proxy.port, '/block', { 'x-cost': 'video=1' })).status, 200);
    const before = upstream.received.length;
    const refused = await send(proxy.port, '/block', { 'x-cost': 'image=1' });
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.body), { message: "API rate limit exceeded for 'video'" });
    assert.equal(upstream.received.length, before, 'the service never saw it');
  });

  it('sends no X-RateLimit header with hide_client_headers, the 429 included', async () => {
    const ok = await send(proxy.port, '/hidden', { 'x-cost': 'video=1' });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      Object.keys(ok.headers).filter((h) => h.startsWith('x-ratelimit')),
      [],
    );
    const refused = await send(proxy.port, '/hidden', { 'x-cost': 'video=1' });
    assert.equal(refused.status, 429);
    assert.deepEqual(
      Object.keys(refused.headers).filter((h) => h.startsWith('x-ratelimit')),
      [],
    );
  });

  it('with the redis policy, two nodes share one limit', async () => {
    const spend = async (node: PluginProxy, expectCount: string) => {
      const r = await send(node.port, '/shared', { 'x-cost': 'video=1' });
      // The log phase adds the cost after the response: wait for Redis to have it.
      const deadline = Date.now() + 5000;
      for (;;) {
        const keys = (await redis.command('KEYS', 'response-ratelimit:*:video:minute')) as string[];
        const value = keys.length === 1 ? await redis.command('GET', keys[0]!) : null;
        if (value === expectCount || r.status === 429) break;
        assert.ok(Date.now() < deadline, `counter reached ${expectCount} (is ${value})`);
        await new Promise((res) => setTimeout(res, 20));
      }
      return r;
    };
    assert.equal((await spend(nodeA, '1')).status, 200);
    const second = await spend(nodeB, '2');
    assert.equal(second.status, 200);
    assert.equal(second.headers['x-ratelimit-remaining-video-minute'], '0');
    assert.equal((await spend(nodeA, '2')).status, 429);
    assert.equal((await spend(nodeB, '2')).status, 429);
  });

  it('lets requests through unlimited when Redis is down (fault_tolerant), as Kong', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await send(proxy.port, '/down', { 'x-cost': 'video=1' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-ratelimit-limit-video-minute'], undefined);
      // Without usage Kong leaves the cost header alone.
      assert.equal(r.headers['x-kong-limit'], 'video=1');
    }
  });
});
