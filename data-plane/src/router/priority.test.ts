import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter } from './compile.ts';
import { match } from './match.ts';
import { groupPaths } from './priority.ts';
import { request, SERVICE } from './test-support.ts';
import type { RequestKey, RouteConfig } from './types.ts';

function winner(routes: readonly RouteConfig[], req: RequestKey): string | undefined {
  // Both orders: the input order must never decide.
  const forward = match(compileRouter(routes, [SERVICE]), req)?.route.id;
  const backward = match(compileRouter([...routes].reverse(), [SERVICE]), req)?.route.id;
  assert.equal(backward, forward, 'the winner depends on the order of the routes');
  return forward;
}

// Expected winners follow kong/router/transform.lua get_priority (traditional_compatible): match
// weight, then plain-hosts-only, header count, regex, regex_priority, plain path length.
describe('priority', () => {
  it('prefers the route matching on more fields over a longer path', () => {
    const routes = [
      { id: 'host+path', hosts: ['api.test'], paths: ['/'] },
      { id: 'long-path', paths: ['/foo/bar/baz'] },
    ];
    assert.equal(winner(routes, request('/foo/bar/baz', { host: 'api.test' })), 'host+path');
  });

  it('counts methods, hosts, headers, snis and paths alike', () => {
    const routes = [
      { id: 'sni+path', snis: ['api.test'], paths: ['/'] },
      { id: 'path', paths: ['/foo'] },
    ];
    assert.equal(winner(routes, request('/foo', { scheme: 'https', sni: 'api.test' })), 'sni+path');
  });

  it('prefers plain hosts over wildcard hosts', () => {
    const routes = [
      { id: 'wild', hosts: ['*.test'] },
      { id: 'plain', hosts: ['api.test'] },
    ];
    assert.equal(winner(routes, request('/', { host: 'api.test' })), 'plain');
  });

  it('ranks plain-hosts-only above the header count', () => {
    const routes = [
      { id: 'headers', headers: { 'x-a': ['1'], 'x-b': ['1'] }, paths: ['/'] },
      { id: 'host', hosts: ['api.test'], paths: ['/'] },
    ];
    const headers = { 'x-a': '1', 'x-b': '1' };
    assert.equal(winner(routes, request('/', { host: 'api.test', headers })), 'host');
  });

  it('prefers more header names', () => {
    const routes: RouteConfig[] = [
      { id: 'one', headers: { 'x-a': ['1'] } },
      { id: 'two', headers: { 'x-a': ['1'], 'x-b': ['2'] } },
    ];
    assert.equal(winner(routes, request('/', { headers: { 'x-a': '1', 'x-b': '2' } })), 'two');
  });

  it('ranks a header route above a method route with the same weight', () => {
    const routes = [
      { id: 'method', methods: ['GET'], paths: ['/'] },
      { id: 'header', headers: { 'x-a': ['1'] }, paths: ['/'] },
    ];
    assert.equal(winner(routes, request('/', { headers: { 'x-a': '1' } })), 'header');
  });

  it('prefers a regex path over a plain one', () => {
    const routes = [
      { id: 'plain', paths: ['/foo/bar'] },
      { id: 'regex', paths: ['~/foo'] },
    ];
    assert.equal(winner(routes, request('/foo/bar')), 'regex');
  });

  it('orders regex routes by regex_priority', () => {
    const routes = [
      { id: 'low', paths: ['~/users/\\d+'], regex_priority: 1 },
      { id: 'high', paths: ['~/users/.*'], regex_priority: 5 },
      { id: 'negative', paths: ['~/users'], regex_priority: -3 },
    ];
    assert.equal(winner(routes, request('/users/1')), 'high');
    assert.equal(winner([routes[0]!, routes[2]!], request('/users/1')), 'low');
  });

  it('ignores regex_priority on plain paths and prefers the longer one', () => {
    const routes = [
      { id: 'short', paths: ['/foo'], regex_priority: 100 },
      { id: 'long', paths: ['/foo/bar'] },
    ];
    assert.equal(winner(routes, request('/foo/bar/x')), 'long');
    assert.equal(winner(routes, request('/foo/x')), 'short');
  });

  it('ranks each path group of a route on its own (split_routes_and_services_by_path)', () => {
    const routes = [
      { id: 'mixed', paths: ['/a', '/foo/bar/baz'] },
      { id: 'middle', paths: ['/foo/bar'] },
    ];
    assert.equal(winner(routes, request('/foo/bar/baz/1')), 'mixed');
    assert.equal(winner(routes, request('/foo/bar/1')), 'middle');
    assert.equal(winner(routes, request('/a/1')), 'mixed');
  });

  it('breaks ties by created_at, older first, then by id (our documented choice)', () => {
    const routes = [
      { id: 'b', paths: ['/x'], created_at: 100 },
      { id: 'a', paths: ['/x'], created_at: 200 },
    ];
    assert.equal(winner(routes, request('/x')), 'b');
    const sameTime = routes.map((r) => ({ ...r, created_at: 100 }));
    assert.equal(winner(sameTime, request('/x')), 'a');
  });

  it('finds the best route across the plain-host, wildcard-host and host-less indexes', () => {
    const routes = [
      { id: 'plain-host', hosts: ['api.test'], paths: ['/'] },
      { id: 'wild-host', hosts: ['*.test'], paths: ['/v1'] },
      { id: 'no-host', methods: ['GET'], headers: { 'x-a': ['1'] }, paths: ['/'] },
    ];
    assert.equal(winner(routes, request('/v1', { host: 'api.test' })), 'plain-host');
    assert.equal(winner(routes, request('/v1', { host: 'web.test' })), 'wild-host');
    const headers = { 'x-a': '1' };
    assert.equal(winner(routes, request('/v1', { host: 'web.test', headers })), 'no-host');
  });
});

describe('groupPaths', () => {
  it('puts all regexes in one group and plain paths in one group per length', () => {
    assert.deepEqual(groupPaths(['/ab', '~/x', '/cd', '/e', '~/y']), [
      { regex: false, paths: ['/ab', '/cd'] },
      { regex: true, paths: ['~/x', '~/y'] },
      { regex: false, paths: ['/e'] },
    ]);
  });
});
