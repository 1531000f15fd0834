/**
 * The rate-limiting plugin end to end: a proxy in this process serving entities written through
 * the control plane's DAO and synced as a snapshot (plugin-fixtures.ts), real sockets to a
 * recording upstream. The handler runs on a clock the test holds, so no window ends mid-test.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRateLimitingHandler } from '@turnpike/data-plane/plugins/rate-limiting';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
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

describe('rate-limiting on a node with two proxy workers', () => {
  it('counts once for the node: with minute = 5, exactly 5 of 20 requests pass, whichever worker serves them', async () => {
    // The upstream says which of its connections a request came on: each worker has its own pool.
    await using upstream = await recordingUpstream((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ peer: req.socket.remotePort }));
    });
    await using node = await startTraditionalNode({ env: { TURNPIKE_WORKER_PROCESSES: '2' } });
    const { adminUrl } = node;
    const proxyPort = Number(new URL(node.proxyUrl).port);
    const service = await http('POST', `${adminUrl}/services`, {
      name: 'limited',
      url: `http://127.0.0.1:${upstream.port}`,
    });
    assert.equal(service.status, 201, service.text);
    assert.equal(
      (await http('POST', `${adminUrl}/services/limited/routes`, { paths: ['/limited'] })).status,
      201,
    );
    const created = await http('POST', `${adminUrl}/services/limited/plugins`, {
      name: 'rate-limiting',
      config: { minute: 5, policy: 'local', limit_by: 'header', header_name: 'x-client' },
    });
    assert.equal(created.status, 201, created.text);
    // Probes count under identifiers of their own; once one shows the plugin and the node is
    // ready, every worker runs the version that has it.
    let probe = 0;
    await eventually(
      () => send(proxyPort, '/limited', { 'x-client': `probe-${probe++}` }),
      (r) => r.headers['x-ratelimit-limit-minute'] === '5',
    );
    await eventually(
      () => http('GET', `${node.statusUrl}/status/ready`),
      (r) => r.status === 200,
    );
    // All 20 requests in one UTC minute: start early in one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await sleep(60_500 - intoMinute);

    const answers: { status: number; remaining: string | undefined; peer?: number }[] = [];
    for (let i = 0; i < 20; i++) {
      // A new connection each time: the node hands connections to its workers in turn.
      const r = await send(proxyPort, '/limited', { 'x-client': 'tested' });
      answers.push({
        status: r.status,
        remaining: r.headers['x-ratelimit-remaining-minute'] as string | undefined,
        ...(r.status === 200 ? { peer: (JSON.parse(r.body) as { peer: number }).peer } : {}),
      });
    }
    const passed = answers.filter((a) => a.status === 200);
    assert.equal(passed.length, 5, JSON.stringify(answers));
    assert.deepEqual(
      passed.map((a) => a.remaining),
      ['4', '3', '2', '1', '0'],
      'the remaining count goes down across workers, as one counter',
    );
    assert.deepEqual(
      answers.slice(5).map((a) => [a.status, a.remaining]),
      Array.from({ length: 15 }, () => [429, '0']),
    );
    assert.ok(
      new Set(passed.map((a) => a.peer)).size >= 2,
      `both workers proxied some of the passed requests: ${JSON.stringify(passed)}`,
    );
  });
});
