/**
 * Route hosts with a port, in both flavors: Kong 3.10's spec/01-unit/08-router_spec.lua, the
 * select() use cases 1, 13 and 14 and the "[wildcard host]" tables, with Kong's route ids. Where
 * Kong's spec checks a case for the traditional flavor only (a Host without a port), the
 * traditional_compatible answer is the one transform.lua's `net.dst.port` gives: the port the
 * client connected to (`localPort`).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter } from './compile.ts';
import { match } from './match.ts';
import { request, SERVICE } from './test-support.ts';
import type { RouteConfig, RouterFlavor } from './types.ts';

const FLAVORS: readonly RouterFlavor[] = ['traditional_compatible', 'traditional'];

const id = (n: number) => `e8fb37f1-102d-461e-9c51-6608a6bb81${String(n).padStart(2, '0')}`;
const route = (n: number, hosts: string[]): RouteConfig => ({
  id: id(n),
  hosts,
  service: { id: SERVICE.id },
});

interface Case {
  readonly host: string;
  readonly scheme?: 'http' | 'https';
  /** The listener's port; Kong's spec calls select() without one (the scheme's port then). */
  readonly localPort?: number;
  /** The route number expected, or undefined for no match; per flavor when they differ. */
  readonly expected: number | undefined | Readonly<Record<RouterFlavor, number | undefined>>;
}

function expectedIn(c: Case, flavor: RouterFlavor): number | undefined {
  const e = c.expected;
  return typeof e === 'object' ? e[flavor] : e;
}

function table(name: string, routes: readonly RouteConfig[], cases: readonly Case[]): void {
  for (const flavor of FLAVORS) {
    describe(`${name} (${flavor})`, () => {
      const router = compileRouter(routes, [SERVICE], { flavor });
      for (const c of cases) {
        const expected = expectedIn(c, flavor);
        const scheme = c.scheme ?? 'http';
        const on = c.localPort === undefined ? '' : ` on port ${c.localPort}`;
        const what = expected === undefined ? 'no route' : `route ${expected}`;
        it(`sends ${scheme}://${c.host}${on} to ${what}`, () => {
          const req = request('/', {
            host: c.host,
            scheme,
            ...(c.localPort === undefined ? {} : { localPort: c.localPort }),
          });
          const found = match(router, req);
          assert.equal(found?.route.id, expected === undefined ? undefined : id(expected));
        });
      }
    });
  }
}

table(
  'select() use cases 1, 13, 14: plain hosts with and without a port',
  [
    route(1, ['domain-1.org', 'domain-2.org']),
    route(13, ['domain-1.org:321', 'domain-2.org']),
    route(14, ['domain-3.org:321']),
  ],
  [
    { host: 'domain-1.org', expected: 1 }, // "[host]"
    { host: 'domain-1.org:80', expected: 1 }, // "[host] ignores default port"
    { host: 'domain-1.org:123', expected: 1 }, // "[host] weird port matches no-port route"
    { host: 'domain-1.org:321', expected: 13 }, // "[host] matches specific port"
    { host: 'domain-3.org:321', expected: 14 }, // "[host] matches specific port on port-only route"
    { host: 'domain-3.org:123', expected: undefined }, // "[host] fails just because of port on port-only route"
    // A Host without a port: the scheme's port (traditional), the listener's (traditional_compatible).
    {
      host: 'domain-3.org',
      localPort: 321,
      expected: { traditional_compatible: 14, traditional: undefined },
    },
    { host: 'domain-3.org', localPort: 8000, expected: undefined },
  ],
);

const WILDCARDS = [route(1, ['*.route.com']), route(2, ['route.*'])];

table('[wildcard host] matches leftmost and rightmost wildcards, any port', WILDCARDS, [
  { host: 'foo.route.com', expected: 1 },
  { host: 'route.org', expected: 2 },
  { host: 'route.org:123', expected: 2 },
  { host: 'foo.route.com:123', expected: 1 },
]);

table(
  '[wildcard host] matches port-specific routes',
  [...WILDCARDS, route(3, ['*.route.net:123']), route(4, ['route.*:123'])],
  [
    { host: 'foo.route.net:123', expected: 3 },
    { host: 'foo.route.net:456', expected: undefined },
    { host: 'route.org:123', expected: 4 }, // "port-specific is higher priority"
    { host: 'route.org:456', expected: 2 },
  ],
);

table(
  '[wildcard host] prefers port-specific even for http default port',
  [...WILDCARDS, route(3, ['route.*:80'])],
  [
    { host: 'route.org:123', expected: 2 },
    { host: 'route.org:80', expected: 3 },
    // "even if it's implicit port 80" (Kong checks it for traditional only)
    { host: 'route.org', expected: 3 },
    { host: 'route.org', localPort: 8000, expected: { traditional_compatible: 2, traditional: 3 } },
    { host: 'route.org', localPort: 80, expected: 3 },
  ],
);

table(
  '[wildcard host] prefers port-specific even for https default port',
  [...WILDCARDS, route(3, ['route.*:443'])],
  [
    { host: 'route.org:123', expected: 2 },
    { host: 'route.org:443', expected: 3 },
    { host: 'route.org', scheme: 'https', expected: 3 },
    {
      host: 'route.org',
      scheme: 'https',
      localPort: 8443,
      expected: { traditional_compatible: 2, traditional: 3 },
    },
  ],
);

table(
  '[wildcard host] submatch_weight [wildcard host port] > [wildcard host]',
  [route(1, ['route.*']), route(2, ['route.*:80', 'route.com.*'])],
  [
    { host: 'route.org:80', expected: 2 },
    { host: 'route.com.org:81', expected: 2 },
    { host: 'route.org:81', expected: 1 },
  ],
);

table(
  '[wildcard host] matches a [wildcard host + port] even if a [wildcard host] matched',
  [route(1, ['route.*']), route(2, ['route.*:123']), route(3, ['route.*:80'])],
  [
    { host: 'route.org:123', expected: 2 },
    { host: 'route.org', expected: 3 }, // implicit port 80 (Kong checks it for traditional only)
    { host: 'route.org', localPort: 8000, expected: { traditional_compatible: 1, traditional: 3 } },
  ],
);

describe('the port-specific tie-break', () => {
  it('prefers a route with a host port over an older one without, whatever the ids', () => {
    const older: RouteConfig = { id: 'a', hosts: ['api.test'], created_at: 1 };
    const newer: RouteConfig = { id: 'b', hosts: ['api.test:8000'], created_at: 2 };
    const router = compileRouter([older, newer], [SERVICE]);
    assert.equal(match(router, request('/', { host: 'api.test:8000' }))?.route.id, 'b');
    assert.equal(match(router, request('/', { host: 'api.test:9000' }))?.route.id, 'a');
  });

  it('does not take a bare IPv6 address for a host with a port', () => {
    const ipv6: RouteConfig = { id: 'a', hosts: ['::1'], created_at: 1 };
    const other: RouteConfig = { id: 'b', hosts: ['[::2]:80'], created_at: 2 };
    const router = compileRouter([ipv6, other], [SERVICE]);
    assert.deepEqual(
      [...router.state.order].map((c) => [c.route.id, c.priority.hostPort]),
      [
        ['b', 1],
        ['a', 0],
      ],
    );
  });
});

describe('the match cache and the listener port', () => {
  it('keeps the answers for two listener ports apart', () => {
    const router = compileRouter([route(1, ['route.*']), route(2, ['route.*:8000'])], [SERVICE]);
    const on = (localPort: number) => match(router, request('/', { host: 'route.org', localPort }))?.route.id;
    assert.equal(on(8000), id(2));
    assert.equal(on(9000), id(1));
    assert.equal(on(8000), id(2));
  });
});
