import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter, regexLiteralPrefix } from './compile.ts';
import { match } from './match.ts';
import { request, SERVICE } from './test-support.ts';
import type { RequestKey, RouteConfig } from './types.ts';

/** The id of the route that one route table picks for a request, or undefined. */
function pick(routes: readonly RouteConfig[], req: RequestKey): string | undefined {
  return match(compileRouter(routes, [SERVICE]), req)?.route.id;
}

function only(route: Omit<RouteConfig, 'id'>, req: RequestKey): boolean {
  return pick([{ id: 'r', ...route }], req) === 'r';
}

describe('hosts', () => {
  // kong/router/transform.lua get_expression: `*.x` is a suffix match on `.x`, `x.*` a prefix
  // match on `x.`, a port adds a port condition; Kong spec 08-router_spec "[host]" / "wildcard".
  const cases: [string, string, boolean][] = [
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.com', true],
    ['example.com', 'example.com:8000', true],
    ['example.com', 'other.com', false],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'api.example.com:8443', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'api.example.org', false],
    ['example.*', 'example.org', true],
    ['example.*', 'example.co.uk:81', true],
    ['example.*', 'myexample.org', false],
    ['example.com:8000', 'example.com:8000', true],
    ['example.com:8000', 'example.com:9000', false],
    ['example.com:8000', 'example.com', false],
    ['example.com:80', 'example.com', true], // no port: the scheme's default (our choice, as traditional)
    ['*.example.com:8000', 'a.example.com:8000', true],
    ['*.example.com:8000', 'a.example.com:8001', false],
    ['[::1]:8000', '[::1]:8000', true],
  ];
  for (const [host, header, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} Host ${header} with route host ${host}`, () => {
      assert.equal(only({ hosts: [host] }, request('/', { host: header })), expected);
    });
  }

  it('matches any of several hosts', () => {
    assert.equal(only({ hosts: ['a.test', '*.b.test'] }, request('/', { host: 'x.b.test' })), true);
  });

  it('does not match a host route when the request has no Host header', () => {
    const req: RequestKey = { ...request('/'), host: undefined };
    assert.equal(only({ hosts: ['a.test'] }, req), false);
  });
});

describe('methods', () => {
  it('matches one of the listed methods', () => {
    assert.equal(only({ methods: ['GET', 'POST'] }, request('/', { method: 'POST' })), true);
  });

  it('does not match another method', () => {
    assert.equal(only({ methods: ['GET'] }, request('/', { method: 'DELETE' })), false);
  });

  it('compares methods exactly, as the ATC router does (http.method == "GET")', () => {
    assert.equal(only({ methods: ['GET'] }, request('/', { method: 'get' })), false);
  });
});

describe('paths', () => {
  // Kong route docs: plain paths are prefixes; `~` paths are regexes anchored at the start.
  const cases: [string, string, boolean][] = [
    ['/foo', '/foo', true],
    ['/foo', '/foo/bar', true],
    ['/foo', '/foobar', true], // a prefix, not a segment match
    ['/foo/', '/foo', false],
    ['/foo', '/bar/foo', false],
    ['/foo/bar', '/foo//bar', true], // slashes merged before matching
    ['/bar', '/foo/%2e%2e/bar', true],
    ['/foo', '/foo/%2e%2e/bar', false],
    ['/admin', '/public/..%2fadmin', false], // %2F is no separator: no climbing
    ['/admin', '/public/../admin', true],
    ['/public', '/public/..%2fadmin', true],
    ['/bar', '/foo\\..\\bar', false], // a backslash is no separator
    ['/foo', '/foo\\..\\bar', true],
    ['/a b', '/a%20b', true],
    ['/caf%C3%A9', '/café', true], // route paths are normalised too
    ['~/users/\\d+$', '/users/42', true],
    ['~/users/\\d+$', '/users/42/x', false],
    ['~/users/\\d+', '/api/users/42', false], // anchored at the start
    ['~/foo', '/foo/bar', true], // anchored at the start only
    ['~/users?/\\d+', '/user/1', true], // an optional last literal is not part of the index key
    ['~/v\\d+/x', '/v2/x', true],
    ['~/a|/b', '/x/b', true], // as compat.lua: the `^` it adds binds only the first alternative
  ];
  for (const [path, requested, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${requested} with route path ${path}`, () => {
      assert.equal(only({ paths: [path] }, request(requested)), expected);
    });
  }
});

describe('uri_captures', () => {
  it('exposes numbered and named groups, with the whole match as 0', () => {
    const router = compileRouter([{ id: 'r', paths: ['~/users/(?P<user_id>\\d+)/(\\w+)'] }], [SERVICE]);
    const found = match(router, request('/users/1984/profile'));
    assert.deepEqual(
      { ...found?.uriCaptures },
      {
        0: '/users/1984/profile',
        1: '1984',
        2: 'profile',
        user_id: '1984',
      },
    );
  });

  it('accepts the JS (?<name>) spelling as Kong 3 does', () => {
    const router = compileRouter([{ id: 'r', paths: ['~/v(?<version>\\d+)/'] }], [SERVICE]);
    assert.equal(match(router, request('/v2/x'))?.uriCaptures?.version, '2');
  });

  it('leaves out groups that did not take part', () => {
    const router = compileRouter([{ id: 'r', paths: ['~/a(/b)?(/c)'] }], [SERVICE]);
    assert.deepEqual({ ...match(router, request('/a/c'))?.uriCaptures }, { 0: '/a/c', 2: '/c' });
  });

  it('has no captures for a regex without groups or a plain path', () => {
    const router = compileRouter(
      [
        { id: 'r', paths: ['~/a\\d'] },
        { id: 'p', paths: ['/plain'] },
      ],
      [SERVICE],
    );
    assert.equal(match(router, request('/a1'))?.uriCaptures, undefined);
    assert.equal(match(router, request('/plain'))?.uriCaptures, undefined);
  });
});

describe('headers', () => {
  // transform.lua: any(lower(http.headers.<name>)) == lower(value), or ~ for `~*` values.
  const route = { headers: { 'X-Version': ['v1', 'V2'], 'x-team': ['~*^team-\\d+$'] } };
  const cases: [Record<string, string | string[]>, boolean][] = [
    [{ 'x-version': 'v1', 'x-team': 'team-1' }, true],
    [{ 'x-version': 'V1', 'x-team': 'TEAM-7' }, true],
    [{ 'x-version': 'v2', 'x-team': 'team-12' }, true],
    [{ 'x-version': ['v9', 'v2'], 'x-team': 'team-1' }, true],
    [{ 'x-version': 'v3', 'x-team': 'team-1' }, false],
    [{ 'x-version': 'v1', 'x-team': 'team-x' }, false],
    [{ 'x-version': 'v1' }, false],
  ];
  for (const [headers, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${JSON.stringify(headers)}`, () => {
      assert.equal(only(route, request('/', { headers })), expected);
    });
  }

  it('reads headers through a lookup function too', () => {
    const headers = (name: string) => ({ 'x-version': 'v1', 'x-team': 'team-3' })[name];
    assert.equal(only(route, request('/', { headers })), true);
  });
});

describe('snis', () => {
  // transform.lua: (net.protocol != "https" || tls.sni == ...); a trailing dot is dropped.
  it('matches the SNI of an https request', () => {
    assert.equal(only({ snis: ['api.test'] }, request('/', { scheme: 'https', sni: 'api.test' })), true);
  });

  it('does not match another SNI or none', () => {
    assert.equal(only({ snis: ['api.test'] }, request('/', { scheme: 'https', sni: 'www.test' })), false);
    assert.equal(only({ snis: ['api.test'] }, request('/', { scheme: 'https' })), false);
  });

  it('ignores SNIs for plain http requests', () => {
    assert.equal(only({ snis: ['api.test'] }, request('/', { scheme: 'http' })), true);
  });

  it('drops the trailing dot of FQDNs and matches wildcards', () => {
    assert.equal(only({ snis: ['api.test.'] }, request('/', { scheme: 'https', sni: 'api.test' })), true);
    assert.equal(only({ snis: ['*.test'] }, request('/', { scheme: 'https', sni: 'api.test.' })), true);
  });
});

describe('all fields together', () => {
  const route = { methods: ['GET'], hosts: ['api.test'], paths: ['/v1'], headers: { 'x-a': ['1'] } };
  const ok = { method: 'GET', host: 'api.test', headers: { 'x-a': '1' } };
  it('matches only when every field matches', () => {
    assert.equal(only(route, request('/v1/x', ok)), true);
    assert.equal(only(route, request('/v2/x', ok)), false);
    assert.equal(only(route, request('/v1/x', { ...ok, method: 'PUT' })), false);
    assert.equal(only(route, request('/v1/x', { ...ok, host: 'web.test' })), false);
    assert.equal(only(route, request('/v1/x', { ...ok, headers: {} })), false);
  });
});

describe('protocols and https redirects', () => {
  // kong/runloop/handler.lua: a route with https but not http, hit over http, answers
  // https_redirect_status_code (default 426) instead of proxying.
  it('says 426 by default when an https-only route is hit over http', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'], protocols: ['https'] }], [SERVICE]);
    assert.equal(match(router, request('/'))?.redirectStatus, 426);
  });

  it('says the configured redirect status', () => {
    const router = compileRouter(
      [{ id: 'r', paths: ['/'], protocols: ['https'], https_redirect_status_code: 301 }],
      [SERVICE],
    );
    assert.equal(match(router, request('/'))?.redirectStatus, 301);
    assert.equal(match(router, request('/', { scheme: 'https' }))?.redirectStatus, undefined);
  });

  it('does not redirect routes that also take http', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'], protocols: ['http', 'https'] }], [SERVICE]);
    assert.equal(match(router, request('/'))?.redirectStatus, undefined);
  });

  it('leaves stream routes to the stream router', () => {
    const router = compileRouter([{ id: 'r', snis: ['a.test'], protocols: ['tls'] }], [SERVICE]);
    assert.equal(router.size, 0);
    assert.deepEqual(router.problems, []);
  });
});

describe('upstream host', () => {
  it('is the request Host with preserve_host', () => {
    const router = compileRouter(
      [{ id: 'r', paths: ['/'], preserve_host: true, service: { id: 'svc' } }],
      [SERVICE],
    );
    assert.equal(match(router, request('/', { host: 'Front.test:8000' }))?.upstreamHost, 'Front.test:8000');
  });

  it('is the service host, with its port when not the default', () => {
    const services = [{ ...SERVICE, port: 8080 }];
    const router = compileRouter([{ id: 'r', paths: ['/'], service: { id: 'svc' } }], services);
    assert.equal(match(router, request('/'))?.upstreamHost, 'upstream.test:8080');
    const plain = compileRouter([{ id: 'r', paths: ['/'], service: { id: 'svc' } }], [SERVICE]);
    assert.equal(match(plain, request('/'))?.upstreamHost, 'upstream.test');
  });
});

describe('services: disabled, or none', () => {
  // kong/runloop/handler.lua build_router: "routes with no services are added to router but
  // routes where the services.enabled == false are not put in router".
  it('leaves out the routes of a disabled service, silently, and keeps the others', () => {
    const router = compileRouter(
      [
        { id: 'off', paths: ['/a'], service: { id: 'svc' } },
        { id: 'on', paths: ['/'], service: { id: 'other' } },
      ],
      [
        { ...SERVICE, enabled: false },
        { ...SERVICE, id: 'other', enabled: true },
      ],
    );
    assert.equal(match(router, request('/a'))?.route.id, 'on');
    assert.deepEqual(router.problems, []);
  });

  it('routes a route without a service, with no service in the match (the proxy answers 503)', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'], service: null }], [SERVICE]);
    const found = match(router, request('/x'));
    assert.equal(found?.route.id, 'r');
    assert.equal(found?.service, undefined);
    assert.equal(found?.upstreamHost, undefined);
  });
});

describe('compile problems', () => {
  it('reports and skips a route whose service is missing', () => {
    const router = compileRouter([{ id: 'r', paths: ['/'], service: { id: 'nope' } }], [SERVICE]);
    assert.deepEqual(router.problems, [{ routeId: 'r', message: 'service nope not found' }]);
    assert.equal(match(router, request('/')), undefined);
  });

  it('reports an invalid regex path and keeps the route’s other path groups', () => {
    const router = compileRouter([{ id: 'r', paths: ['~/a(', '/b'] }], [SERVICE]);
    assert.equal(router.problems.length, 1);
    assert.equal(router.problems[0]?.routeId, 'r');
    assert.equal(match(router, request('/b'))?.route.id, 'r');
  });

  it('reports a route with nothing to match on', () => {
    const router = compileRouter([{ id: 'r', paths: [], hosts: null }], [SERVICE]);
    assert.equal(router.problems.length, 1);
  });
});

describe('regexLiteralPrefix', () => {
  const cases: [string, string][] = [
    ['~/users/\\d+', '/users/'],
    ['~/users?/x', '/user'],
    ['~/a{2}', '/'],
    ['~/a|/b', ''],
    ['~(/x)', ''],
    ['~/plain$', '/plain'],
  ];
  for (const [path, prefix] of cases) {
    it(`indexes ${path} under ${JSON.stringify(prefix)}`, () => {
      assert.equal(regexLiteralPrefix(path), prefix);
    });
  }
});
