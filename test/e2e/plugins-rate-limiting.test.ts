/**
 * The rate-limiting plugin end to end: a proxy in this process serving entities written through
 * the control plane's DAO and synced as a snapshot (plugin-fixtures.ts), real sockets to a
 * recording upstream. The handler runs on a clock the test holds, so no window ends mid-test.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createRateLimitingHandler } from '@turnpike/data-plane/plugins/rate-limiting';
import { bundledPlugins, type PluginProxy, plugin, pluginProxy } from './plugin-fixtures.ts';
import { type RecordingUpstream, recordingUpstream, send } from './proxy-fixtures.ts';

const ids = {
  service: '00000000-0000-4000-8000-000000000001',
  limited: '00000000-0000-4000-8000-0000000000d0',
  byConsumer: '00000000-0000-4000-8000-0000000000d1',
  byIp: '00000000-0000-4000-8000-0000000000d2',
  hidden: '00000000-0000-4000-8000-0000000000d3',
  alice: '00000000-0000-4000-8000-0000000000c1',
  bob: '00000000-0000-4000-8000-0000000000c2',
};

function route(id: string, path: string) {
  return { id, paths: [path], service: { id: ids.service } };
}

const RATE_HEADERS = /^(x-)?ratelimit-|^retry-after$/;

function rateHeaders(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers).filter((n) => RATE_HEADERS.test(n));
}

/** Ten seconds into a UTC minute: every request of the file falls in this one fixed window. */
const NOW = Date.parse('2024-05-01T12:00:10.000Z');

describe('rate-limiting through the proxy', () => {
  let upstream: RecordingUpstream;
  let proxy: PluginProxy;
  let port: number;

  before(async () => {
    const plugins = await bundledPlugins();
    upstream = await recordingUpstream();
    const entities = {
      services: [{ id: ids.service, protocol: 'http', host: '127.0.0.1', port: upstream.port }],
      routes: [
        route(ids.limited, '/limited'),
        route(ids.byConsumer, '/by-consumer'),
        route(ids.byIp, '/by-ip'),
        route(ids.hidden, '/hidden'),
      ],
      consumers: [
        { id: ids.alice, username: 'alice' },
        { id: ids.bob, username: 'bob' },
      ],
      keyauth_credentials: [
        { id: crypto.randomUUID(), key: 'alice-key', consumer: { id: ids.alice } },
        { id: crypto.randomUUID(), key: 'bob-key', consumer: { id: ids.bob } },
      ],
      plugins: [
        plugin('rate-limiting', ids.limited, { minute: 3 }),
        plugin('key-auth', ids.byConsumer),
        plugin('rate-limiting', ids.byConsumer, { minute: 1 }),
        plugin('key-auth', ids.byIp),
        plugin('rate-limiting', ids.byIp, { minute: 1, limit_by: 'ip' }),
        plugin('rate-limiting', ids.hidden, { minute: 1, hide_client_headers: true }),
      ],
    };
    const limiter = createRateLimitingHandler({ now: () => NOW });
    proxy = await pluginProxy(plugins, entities, new Map([['rate-limiting', limiter]]));
    port = proxy.port;
  });

  after(async () => {
    await proxy?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
  });

  it("lets 3 requests a minute through, then answers 429 with Kong's body and headers", async () => {
    const before = upstream.received.length;
    for (const remaining of ['2', '1', '0']) {
      const r = await send(port, '/limited/x');
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-ratelimit-limit-minute'], '3');
      assert.equal(r.headers['x-ratelimit-remaining-minute'], remaining);
      assert.equal(r.headers['ratelimit-limit'], '3');
      assert.equal(r.headers['ratelimit-remaining'], remaining);
      const reset = Number(r.headers['ratelimit-reset']);
      assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset}`);
    }
    const refused = await send(port, '/limited/x');
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.body), { message: 'API rate limit exceeded' });
    assert.match(String(refused.headers['content-type']), /^application\/json/);
    assert.equal(refused.headers['x-ratelimit-remaining-minute'], '0');
    assert.equal(refused.headers['ratelimit-remaining'], '0');
    assert.equal(refused.headers['retry-after'], refused.headers['ratelimit-reset']);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(upstream.received.length - before, 3, 'the refused request never reached the service');
  });

  it('counts each consumer apart when limiting by consumer', async () => {
    assert.equal((await send(port, '/by-consumer', { apikey: 'alice-key' })).status, 200);
    assert.equal((await send(port, '/by-consumer', { apikey: 'alice-key' })).status, 429);
    assert.equal((await send(port, '/by-consumer', { apikey: 'bob-key' })).status, 200);
  });

  it('counts every consumer from one address together when limiting by ip', async () => {
    assert.equal((await send(port, '/by-ip', { apikey: 'alice-key' })).status, 200);
    assert.equal((await send(port, '/by-ip', { apikey: 'bob-key' })).status, 429);
  });

  it('sends no rate-limit header, Retry-After included, with hide_client_headers', async () => {
    const ok = await send(port, '/hidden');
    assert.equal(ok.status, 200);
    assert.deepEqual(rateHeaders(ok.headers), []);
    const refused = await send(port, '/hidden');
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.body), { message: 'API rate limit exceeded' });
    assert.deepEqual(rateHeaders(refused.headers), []);
  });
});
