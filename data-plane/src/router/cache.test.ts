import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter } from './compile.ts';
import { match } from './match.ts';
import { patchRouter } from './patch.ts';
import { request, SERVICE } from './test-support.ts';

describe('match cache', () => {
  it('answers a repeated request from the cache with the same Match', () => {
    const router = compileRouter([{ id: 'r', paths: ['/a'] }], [SERVICE]);
    const first = match(router, request('/a/1'));
    assert.ok(first);
    assert.equal(match(router, request('/a/1')), first);
    assert.equal(router.cache?.size, 1);
  });

  it('caches misses too', () => {
    const router = compileRouter([{ id: 'r', paths: ['/a'] }], [SERVICE]);
    assert.equal(match(router, request('/b')), undefined);
    assert.equal(router.cache?.size, 1);
    assert.equal(match(router, request('/b')), undefined);
  });

  it('keys on the headers that routes match on', () => {
    const router = compileRouter(
      [
        { id: 'v1', headers: { 'x-version': ['1'] }, paths: ['/'] },
        { id: 'any', paths: ['/'] },
      ],
      [SERVICE],
    );
    assert.equal(match(router, request('/', { headers: { 'x-version': '1' } }))?.route.id, 'v1');
    assert.equal(match(router, request('/', { headers: { 'x-version': '2' } }))?.route.id, 'any');
    assert.equal(match(router, request('/', { headers: {} }))?.route.id, 'any');
    assert.equal(match(router, request('/', { headers: { 'x-version': '1' } }))?.route.id, 'v1');
  });

  it('does not let a cached Match leak the Host of another request', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'], preserve_host: true }], [SERVICE]);
    assert.equal(match(router, request('/', { host: 'a.test' }))?.upstreamHost, 'a.test');
    assert.equal(match(router, request('/', { host: 'b.test' }))?.upstreamHost, 'b.test');
  });

  it('keeps http and https apart', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'], protocols: ['https'] }], [SERVICE]);
    assert.equal(match(router, request('/', { scheme: 'http' }))?.redirectStatus, 426);
    assert.equal(match(router, request('/', { scheme: 'https' }))?.redirectStatus, undefined);
  });

  it('holds at most cacheSize entries', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'] }], [SERVICE], { cacheSize: 2 });
    for (const p of ['/1', '/2', '/3', '/4']) match(router, request(p));
    assert.equal(router.cache?.size, 2);
  });

  it('keeps, through a patch, the answers the patch cannot change, and only those', () => {
    const routes = [
      { id: 'a', paths: ['/a'] },
      { id: 'b', paths: ['/b'] },
    ];
    const before = compileRouter(routes, [SERVICE]);
    const a = match(before, request('/a/1'));
    const b = match(before, request('/b/1'));
    assert.equal(match(before, request('/c')), undefined);
    const upsert = (route: { id: string; paths: string[] }) =>
      patchRouter(before, {
        routes: new Map([[route.id, route]]),
        services: new Set(),
        serviceMap: new Map([[SERVICE.id, SERVICE]]),
        allRoutes: () => [...routes.filter((r) => r.id !== route.id), route],
      });
    const after = upsert({ id: 'c', paths: ['/c', '/b/1'] });
    assert.equal(match(after, request('/a/1')), a, 'the same Match object: inherited');
    assert.equal(after.cache?.size, 1);
    assert.equal(match(after, request('/b/1'))?.route.id, 'c', 'the new route beats the inherited answer');
    assert.equal(match(after, request('/c'))?.route.id, 'c', 'an inherited miss the new route matches');
    const moved = upsert({ id: 'a', paths: ['/z'] });
    assert.equal(match(moved, request('/a/1')), undefined, 'the inherited route was rebuilt');
    assert.equal(match(moved, request('/b/1')), b);
    assert.equal(match(before, request('/a/1')), a, 'the previous router is left as it was');
  });

  it('can be turned off', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'] }], [SERVICE], { cacheSize: 0 });
    assert.equal(router.cache, undefined);
    assert.equal(match(router, request('/x'))?.route.id, 'r');
  });

  it('does not cache requests whose key would be huge', () => {
    const router = compileRouter([{ id: 'r', headers: { 'x-a': ['~*.'] } }], [SERVICE]);
    assert.equal(match(router, request('/', { headers: { 'x-a': 'y'.repeat(10_000) } }))?.route.id, 'r');
    assert.equal(router.cache?.size, 0);
  });

  it('returns frozen results, safe to share between requests', () => {
    const router = compileRouter([{ id: 'r', paths: ['~/(?<id>\\d+)'] }], [SERVICE]);
    const found = match(router, request('/7'));
    assert.ok(Object.isFrozen(found));
    assert.ok(Object.isFrozen(found?.uriCaptures));
  });
});
