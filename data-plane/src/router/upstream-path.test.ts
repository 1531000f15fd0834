import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter } from './compile.ts';
import { match } from './match.ts';
import { request, SERVICE } from './test-support.ts';
import type { RouteConfig } from './types.ts';
import { sanitizeUriPostfix } from './upstream-path.ts';

function upstreamFor(servicePath: string, route: Omit<RouteConfig, 'id'>, path: string): string | undefined {
  const router = compileRouter(
    [{ id: 'r', service: { id: SERVICE.id }, ...route }],
    [{ ...SERVICE, path: servicePath }],
  );
  return match(router, request(path))?.upstreamPath;
}

describe('upstream path, path_handling v0 (the default)', () => {
  // Kong spec/01-unit/08-router_spec.lua, describe("slash handling"): upstream (service) path,
  // route path, request path, expected upstream path, strip_path.
  const checks: [string, string, string, string, boolean][] = [
    ['/', '/', '/', '/', true],
    ['/', '/', '/foo/bar', '/foo/bar', true],
    ['/', '/', '/foo/bar/', '/foo/bar/', true],
    ['/', '/foo/bar', '/foo/bar', '/', true],
    ['/', '/foo/bar/', '/foo/bar/', '/', true],
    ['/fee/bor', '/', '/', '/fee/bor', true],
    ['/fee/bor', '/', '/foo/bar', '/fee/bor/foo/bar', true],
    ['/fee/bor', '/', '/foo/bar/', '/fee/bor/foo/bar/', true],
    ['/fee/bor', '/foo/bar', '/foo/bar', '/fee/bor', true],
    ['/fee/bor', '/foo/bar/', '/foo/bar/', '/fee/bor/', true],
    ['/fee/bor/', '/', '/', '/fee/bor/', true],
    ['/fee/bor/', '/', '/foo/bar', '/fee/bor/foo/bar', true],
    ['/fee/bor/', '/', '/foo/bar/', '/fee/bor/foo/bar/', true],
    ['/fee/bor/', '/foo/bar', '/foo/bar', '/fee/bor', true],
    ['/fee/bor/', '/foo/bar/', '/foo/bar/', '/fee/bor/', true],
    ['/', '/', '/', '/', false],
    ['/', '/', '/foo/bar', '/foo/bar', false],
    ['/', '/', '/foo/bar/', '/foo/bar/', false],
    ['/', '/foo/bar', '/foo/bar', '/foo/bar', false],
    ['/', '/foo/bar/', '/foo/bar/', '/foo/bar/', false],
    ['/fee/bor', '/', '/', '/fee/bor', false],
    ['/fee/bor', '/', '/foo/bar', '/fee/bor/foo/bar', false],
    ['/fee/bor', '/', '/foo/bar/', '/fee/bor/foo/bar/', false],
    ['/fee/bor', '/foo/bar', '/foo/bar', '/fee/bor/foo/bar', false],
    ['/fee/bor', '/foo/bar/', '/foo/bar/', '/fee/bor/foo/bar/', false],
    ['/fee/bor/', '/', '/', '/fee/bor/', false],
    ['/fee/bor/', '/', '/foo/bar', '/fee/bor/foo/bar', false],
    ['/fee/bor/', '/', '/foo/bar/', '/fee/bor/foo/bar/', false],
    ['/fee/bor/', '/foo/bar', '/foo/bar', '/fee/bor/foo/bar', false],
    ['/fee/bor/', '/foo/bar/', '/foo/bar/', '/fee/bor/foo/bar/', false],
    ['/', '/', '/foo/bars', '/foo/bars', true],
    ['/', '/', '/foo/bar/s', '/foo/bar/s', true],
    ['/', '/foo/bar', '/foo/bars', '/s', true],
    ['/', '/foo/bar/', '/foo/bar/s', '/s', true],
    ['/fee/bor', '/', '/foo/bars', '/fee/bor/foo/bars', true],
    ['/fee/bor', '/', '/foo/bar/s', '/fee/bor/foo/bar/s', true],
    ['/fee/bor', '/foo/bar', '/foo/bars', '/fee/bor/s', true],
    ['/fee/bor', '/foo/bar/', '/foo/bar/s', '/fee/bor/s', true],
    ['/fee/bor/', '/', '/foo/bars', '/fee/bor/foo/bars', true],
    ['/fee/bor/', '/', '/foo/bar/s', '/fee/bor/foo/bar/s', true],
    ['/fee/bor/', '/foo/bar', '/foo/bars', '/fee/bor/s', true],
    ['/fee/bor/', '/foo/bar/', '/foo/bar/s', '/fee/bor/s', true],
    ['/', '/', '/foo/bars', '/foo/bars', false],
    ['/', '/', '/foo/bar/s', '/foo/bar/s', false],
    ['/', '/foo/bar', '/foo/bars', '/foo/bars', false],
    ['/', '/foo/bar/', '/foo/bar/s', '/foo/bar/s', false],
    ['/fee/bor', '/', '/foo/bars', '/fee/bor/foo/bars', false],
    ['/fee/bor', '/', '/foo/bar/s', '/fee/bor/foo/bar/s', false],
    ['/fee/bor', '/foo/bar', '/foo/bars', '/fee/bor/foo/bars', false],
    ['/fee/bor', '/foo/bar/', '/foo/bar/s', '/fee/bor/foo/bar/s', false],
    ['/fee/bor/', '/', '/foo/bars', '/fee/bor/foo/bars', false],
    ['/fee/bor/', '/', '/foo/bar/s', '/fee/bor/foo/bar/s', false],
    ['/fee/bor/', '/foo/bar', '/foo/bars', '/fee/bor/foo/bars', false],
    ['/fee/bor/', '/foo/bar/', '/foo/bar/s', '/fee/bor/foo/bar/s', false],
  ];
  checks.forEach(([servicePath, routePath, path, expected, strip], i) => {
    it(`(${i + 1}) sends ${path} to ${expected} for service path ${servicePath}, route ${routePath}, strip_path ${strip}`, () => {
      assert.equal(upstreamFor(servicePath, { paths: [routePath], strip_path: strip }, path), expected);
    });
  });
});

describe('upstream path, the Admin API reference table', () => {
  // Kong Admin API reference, Route object, "Path handling algorithms" (autodoc/admin-api/data/admin-api.lua).
  const table: [string, string, boolean, 'v0' | 'v1', string, string][] = [
    ['/s', '/fv0', false, 'v0', '/fv0req', '/s/fv0req'],
    ['/s', '/fv1', false, 'v1', '/fv1req', '/sfv1req'],
    ['/s', '/tv0', true, 'v0', '/tv0req', '/s/req'],
    ['/s', '/tv1', true, 'v1', '/tv1req', '/sreq'],
    ['/s', '/fv0/', false, 'v0', '/fv0/req', '/s/fv0/req'],
    ['/s', '/fv1/', false, 'v1', '/fv1/req', '/sfv1/req'],
    ['/s', '/tv0/', true, 'v0', '/tv0/req', '/s/req'],
    ['/s', '/tv1/', true, 'v1', '/tv1/req', '/sreq'],
  ];
  for (const [servicePath, routePath, strip, handling, path, expected] of table) {
    it(`sends ${path} to ${expected} with route ${routePath}, strip_path ${strip}, path_handling ${handling}`, () => {
      const route = { paths: [routePath], strip_path: strip, path_handling: handling };
      assert.equal(upstreamFor(servicePath, route, path), expected);
    });
  }
});

describe('upstream path details', () => {
  it('strips the whole regex match when strip_path is on (Kong route docs, "strip_path")', () => {
    const route = { paths: ['~/version/\\d+/service'], strip_path: true };
    assert.equal(upstreamFor('/', route, '/version/1/service/path/to/resource'), '/path/to/resource');
  });

  it('keeps the path when a route without paths strips', () => {
    assert.equal(upstreamFor('/s', { hosts: ['gateway.test'], strip_path: true }, '/a/b'), '/s/a/b');
  });

  it('drops a dot segment left at the start of the rest (sanitize_uri_postfix)', () => {
    assert.equal(sanitizeUriPostfix('./x'), 'x');
    assert.equal(sanitizeUriPostfix('../x'), 'x');
    assert.equal(sanitizeUriPostfix('..'), '');
    assert.equal(sanitizeUriPostfix('/x'), '/x');
  });

  it('builds the upstream path from the normalised request path and escapes it', () => {
    assert.equal(upstreamFor('/s', { paths: ['/api'] }, '/api/x/%2e%2e/caf%C3%A9%20y'), '/s/caf%C3%A9%20y');
  });

  it('keeps an encoded slash encoded on the way upstream', () => {
    assert.equal(upstreamFor('/', { paths: ['/api'] }, '/api/a%2fb'), '/a%2Fb');
  });
});
