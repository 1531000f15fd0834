/**
 * proxy-cache end to end: a proxy in this process (plugin-fixtures.ts) in front of a real
 * upstream that counts its hits, on a clock the test holds (so TTLs pass without waiting).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createProxyCacheHandler } from '../../data-plane/src/plugins/proxy-cache/handler.ts';
import { MemoryStores } from '../../data-plane/src/plugins/proxy-cache/store.ts';
import { bundledPlugins, type PluginProxy, plugin, pluginProxy } from './plugin-fixtures.ts';
import { type RecordingUpstream, recordingUpstream, send } from './proxy-fixtures.ts';

const ids = {
  service: '00000000-0000-4000-8000-000000000001',
  plain: '00000000-0000-4000-8000-0000000000f0',
  vary: '00000000-0000-4000-8000-0000000000f1',
  cc: '00000000-0000-4000-8000-0000000000f2',
  quiet: '00000000-0000-4000-8000-0000000000f3',
};

function route(id: string, path: string) {
  return { id, paths: [path], service: { id: ids.service } };
}

let hits = 0;
/** Counts; answers what the request asks for through x-status / x-type / x-cc headers. */
function origin(req: IncomingMessage, res: ServerResponse): void {
  hits++;
  const status = Number(req.headers['x-status'] ?? 200);
  const headers: Record<string, string> = {
    'content-type': String(req.headers['x-type'] ?? 'application/json'),
    'x-ratelimit-remaining-minute': '7',
    'x-origin': 'yes',
  };
  if (req.headers['x-cc'] !== undefined) headers['cache-control'] = String(req.headers['x-cc']);
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ hit: hits, url: req.url }));
}

function kongKey(prefix: string, method: string, uri: string, params = '', headers = ''): string {
  return createHash('sha256').update(`${prefix}|${method}|${uri}|${params}|${headers}`).digest('hex');
}

describe('proxy-cache through the proxy', () => {
  let upstream: RecordingUpstream;
  let proxy: PluginProxy;
  const clock = { now: 1_700_000_000 };

  before(async () => {
    const plugins = await bundledPlugins();
    upstream = await recordingUpstream(origin);
    const entities = {
      services: [{ id: ids.service, protocol: 'http', host: '127.0.0.1', port: upstream.port }],
      routes: [
        route(ids.plain, '/plain'),
        route(ids.vary, '/vary'),
        route(ids.cc, '/cc'),
        route(ids.quiet, '/quiet'),
      ],
      plugins: [
        plugin('proxy-cache', ids.plain, { strategy: 'memory', cache_ttl: 30 }),
        plugin('proxy-cache', ids.vary, {
          strategy: 'memory',
          vary_query_params: ['page'],
          vary_headers: ['X-Tenant'],
        }),
        plugin('proxy-cache', ids.cc, { strategy: 'memory', cache_control: true }),
        plugin('proxy-cache', ids.quiet, {
          strategy: 'memory',
          response_headers: { age: false, 'X-Cache-Status': true, 'X-Cache-Key': false },
        }),
      ],
    };
    const handler = createProxyCacheHandler({ stores: new MemoryStores(), now: () => clock.now });
    proxy = await pluginProxy(plugins, entities, new Map([['proxy-cache', handler]]));
  });

  after(async () => {
    await proxy?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
  });

  it("answers a Miss from the service, then a Hit from the cache, with Kong's cache key", async () => {
    const before = hits;
    const miss = await send(proxy.port, '/plain/a');
    assert.equal(miss.status, 200);
    assert.equal(miss.headers['x-cache-status'], 'Miss');
    assert.equal(miss.headers['x-cache-key'], kongKey(ids.plain, 'GET', 'GET /plain/a HTTP/1.1'));
    clock.now += 5;
    const hit = await send(proxy.port, '/plain/a');
    assert.equal(hit.status, 200);
    assert.equal(hit.headers['x-cache-status'], 'Hit');
    assert.equal(hit.headers['x-cache-key'], miss.headers['x-cache-key']);
    assert.equal(hit.headers.age, '5');
    assert.equal(hit.body, miss.body);
    assert.equal(hit.headers['x-origin'], 'yes');
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.equal(hit.headers['x-ratelimit-remaining-minute'], undefined, 'not replayed');
    assert.equal(hits - before, 1, 'the service answered once');
  });

  it('keys a request with a query string on the path only, all parameters sorted', async () => {
    const r = await send(proxy.port, '/plain/q?b=2&a=1&a=0');
    assert.equal(r.headers['x-cache-key'], kongKey(ids.plain, 'GET', 'GET /plain/q', 'a=0,1:b=2'));
    const same = await send(proxy.port, '/plain/q?a=0&b=2&a=1');
    assert.equal(same.headers['x-cache-status'], 'Hit');
  });

  it('refreshes an entry older than cache_ttl', async () => {
    await send(proxy.port, '/plain/ttl');
    clock.now += 31;
    const refreshed = await send(proxy.port, '/plain/ttl');
    assert.equal(refreshed.headers['x-cache-status'], 'Refresh');
    assert.equal((await send(proxy.port, '/plain/ttl')).headers['x-cache-status'], 'Hit');
  });

  it('bypasses methods, statuses and content types it does not cache (content types match exactly)', async () => {
    assert.equal((await send(proxy.port, '/plain/p', {}, 'POST', '{}')).headers['x-cache-status'], 'Bypass');
    const error = await send(proxy.port, '/plain/e', { 'x-status': '500' });
    assert.equal(error.headers['x-cache-status'], 'Bypass');
    assert.equal(
      (await send(proxy.port, '/plain/e', { 'x-status': '500' })).headers['x-cache-status'],
      'Bypass',
    );
    const charset = { 'x-type': 'application/json; charset=utf-8' };
    assert.equal((await send(proxy.port, '/plain/c', charset)).headers['x-cache-status'], 'Bypass');
    assert.equal(
      (await send(proxy.port, '/plain/t', { 'x-type': 'text/plain' })).headers['x-cache-status'],
      'Miss',
    );
    assert.equal(
      (await send(proxy.port, '/plain/t', { 'x-type': 'text/plain' })).headers['x-cache-status'],
      'Hit',
    );
  });

  it('varies on the listed query parameters and headers only', async () => {
    const a = await send(proxy.port, '/vary?page=1&utm=x', { 'x-tenant': 'acme' });
    assert.equal(a.headers['x-cache-key'], kongKey(ids.vary, 'GET', 'GET /vary', 'page=1', 'X-Tenant=acme'));
    assert.equal(
      (await send(proxy.port, '/vary?utm=y&page=1', { 'x-tenant': 'acme' })).headers['x-cache-status'],
      'Hit',
    );
    assert.equal(
      (await send(proxy.port, '/vary?page=1', { 'x-tenant': 'other' })).headers['x-cache-status'],
      'Miss',
    );
    assert.equal(
      (await send(proxy.port, '/vary?page=2', { 'x-tenant': 'acme' })).headers['x-cache-status'],
      'Miss',
    );
  });

  it('with cache_control, follows the client and the service (RFC 7234)', async () => {
    assert.equal(
      (await send(proxy.port, '/cc/a', { 'cache-control': 'no-cache' })).headers['x-cache-status'],
      'Bypass',
    );
    assert.equal(
      (await send(proxy.port, '/cc/p', { 'x-cc': 'private, max-age=60' })).headers['x-cache-status'],
      'Bypass',
    );
    assert.equal(
      (await send(proxy.port, '/cc/z')).headers['x-cache-status'],
      'Bypass',
      'no TTL from the service',
    );
    assert.equal(
      (await send(proxy.port, '/cc/m', { 'x-cc': 'max-age=60' })).headers['x-cache-status'],
      'Miss',
    );
    clock.now += 10;
    assert.equal((await send(proxy.port, '/cc/m')).headers['x-cache-status'], 'Hit');
    assert.equal(
      // The client wants it at most 5 s old: fetched again (and kept, the service saying max-age=60).
      (await send(proxy.port, '/cc/m', { 'cache-control': 'max-age=5', 'x-cc': 'max-age=60' })).headers[
        'x-cache-status'
      ],
      'Refresh',
    );
    const onlyCached = await send(proxy.port, '/cc/none', { 'cache-control': 'only-if-cached' });
    assert.equal(onlyCached.status, 504);
  });

  it('sends only the diagnostic headers response_headers asks for, all of them with Kong-Debug', async () => {
    await send(proxy.port, '/quiet');
    const hit = await send(proxy.port, '/quiet');
    assert.equal(hit.headers['x-cache-status'], 'Hit');
    assert.equal(hit.headers['x-cache-key'], undefined);
    assert.equal(hit.headers.age, undefined);
    const debug = await send(proxy.port, '/quiet', { 'kong-debug': '1' });
    assert.equal(debug.headers['x-cache-key'], kongKey(ids.quiet, 'GET', 'GET /quiet HTTP/1.1'));
    assert.ok(debug.headers.age !== undefined);
  });
});
