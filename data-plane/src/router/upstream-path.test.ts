import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter } from './compile.ts';
import { match } from './match.ts';
import { expandRow, PATH_HANDLING_TABLE, type PathHandlingCase } from './path-handling-table.ts';
import { request, SERVICE } from './test-support.ts';
import type { RouteConfig, RouterFlavor } from './types.ts';
import { sanitizeUriPostfix } from './upstream-path.ts';

const FLAVORS: readonly RouterFlavor[] = ['traditional_compatible', 'traditional'];

function upstreamFor(
  servicePath: string,
  route: Omit<RouteConfig, 'id'>,
  path: string,
  flavor: RouterFlavor = 'traditional_compatible',
  host = 'gateway.test',
): string | undefined {
  const router = compileRouter(
    [{ id: 'r', service: { id: SERVICE.id }, ...route }],
    [{ ...SERVICE, path: servicePath }],
    { flavor },
  );
  return match(router, request(path, { host }))?.upstreamPath;
}

/** Kong's table by its inputs: what a v0 route gives, for the v1 rows under traditional_compatible. */
const V0_RESULTS = new Map<string, string>();
const inputsOf = (c: PathHandlingCase) =>
  JSON.stringify([c.servicePath, c.routePath, c.stripPath, c.requestPath]);
for (const row of PATH_HANDLING_TABLE) {
  for (const c of expandRow(row)) if (c.pathHandling === 'v0') V0_RESULTS.set(inputsOf(c), c.expectedPath);
}

/**
 * What Kong 3.10 sends for a case: the table's answer (traditional.lua), or under
 * traditional_compatible the v0 answer whatever path_handling says (atc.lua calls
 * get_upstream_uri_v0 only; Kong's own spec runs only the v0 rows for that flavor).
 */
function expectedFor(c: PathHandlingCase, flavor: RouterFlavor): string {
  if (flavor === 'traditional' || c.pathHandling === 'v0') return c.expectedPath;
  const v0 = V0_RESULTS.get(inputsOf(c));
  if (v0 === undefined) throw new Error(`Kong's table has no v0 row for ${inputsOf(c)}`);
  return v0;
}

for (const flavor of FLAVORS) {
  describe(`upstream path, Kong's path handling table (spec/fixtures/router_path_handling_tests.lua), ${flavor}`, () => {
    PATH_HANDLING_TABLE.forEach((row, i) => {
      expandRow(row).forEach((c, j) => {
        const expected = expectedFor(c, flavor);
        const strip = c.stripPath ? 'on' : 'off';
        const host = `localbin-${i + 1}-${j + 1}.test`;
        const on = c.routePath === null ? `host ${host}` : `path ${c.routePath}`;
        it(`(${i + 1}-${j + 1}) plain: ${c.servicePath} with ${on}, strip ${strip}, ${c.pathHandling}: ${c.requestPath} → ${expected}`, () => {
          const route = {
            hosts: [host],
            paths: c.routePath === null ? [] : [c.routePath],
            strip_path: c.stripPath,
            path_handling: c.pathHandling,
          };
          assert.equal(upstreamFor(c.servicePath, route, c.requestPath, flavor, host), expected);
        });
        // The same route path as a regex (`~/[0]?route`), as Kong's spec repeats every row with a path.
        if (c.routePath === null) return;
        const regex = `~/[0]?${c.routePath.slice(1)}`;
        it(`(${i + 1}-${j + 1}) regex: ${c.servicePath} with path ${regex}, strip ${strip}, ${c.pathHandling}: ${c.requestPath} → ${expected}`, () => {
          const route = {
            hosts: [host],
            paths: [regex],
            strip_path: c.stripPath,
            path_handling: c.pathHandling,
          };
          assert.equal(upstreamFor(c.servicePath, route, c.requestPath, flavor, host), expected);
        });
      });
    });
  });
}

describe('path_handling v1 by flavor (the issue’s case: service /srv, route /rou, request /roureq)', () => {
  const route = { paths: ['/rou'], strip_path: false, path_handling: 'v1' as const };
  it('is applied as v0 under traditional_compatible, as Kong 3 does', () => {
    assert.equal(upstreamFor('/srv', route, '/roureq', 'traditional_compatible'), '/srv/roureq');
  });
  it('is applied as v1 under traditional', () => {
    assert.equal(upstreamFor('/srv', route, '/roureq', 'traditional'), '/srvroureq');
  });
});

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

describe('upstream path, the Admin API reference table, traditional', () => {
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
      assert.equal(upstreamFor(servicePath, route, path, 'traditional'), expected);
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
