/**
 * cors end to end (Kong 3.10 spec/03-plugins/13-cors): preflights answered by the plugin, the
 * headers added to the service's responses and to another plugin's, origins flat and regex.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { send } from './proxy-fixtures.ts';
import { instance, routeOn, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';
const r = {
  defaults: uid(0x20),
  options: uid(0x21),
  continue: uid(0x22),
  star: uid(0x23),
  flat: uid(0x24),
  regex: uid(0x25),
  absent: uid(0x26),
  exit: uid(0x27),
  network: uid(0x28),
};

/** Answers 200 with `vary` and `acao` query parameters as headers; `/…/status/<n>` with that status. */
function upstream(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const vary = url.searchParams.get('vary');
  if (vary !== null) headers.vary = vary;
  const acao = url.searchParams.get('acao');
  if (acao !== null) headers['access-control-allow-origin'] = acao;
  const status = /\/status\/(\d{3})$/.exec(url.pathname)?.[1];
  res.writeHead(status === undefined ? 200 : Number(status), headers);
  res.end(JSON.stringify({ method: req.method, code: status === undefined ? 200 : Number(status) }));
}

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-expose-headers',
  'access-control-max-age',
  'access-control-allow-private-network',
];

function corsOf(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...CORS_HEADERS, 'vary']) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

describe('cors through the proxy', () => {
  let rig: TrafficRig;
  const preflight = (path: string, origin: string, extra: Record<string, string> = {}) =>
    send(rig.port, path, { origin, 'access-control-request-method': 'GET', ...extra }, 'OPTIONS');

  before(async () => {
    rig = await trafficRig(
      () => ({
        routes: [
          routeOn(r.defaults, '/defaults'),
          routeOn(r.options, '/options'),
          routeOn(r.continue, '/continue'),
          routeOn(r.star, '/star'),
          routeOn(r.flat, '/flat'),
          routeOn(r.regex, '/regex'),
          routeOn(r.absent, '/absent'),
          routeOn(r.exit, '/exit'),
          routeOn(r.network, '/network'),
        ],
        plugins: [
          instance('cors', {}, { route: r.defaults }),
          instance(
            'cors',
            {
              origins: ['example.test'],
              methods: ['GET'],
              headers: ['origin', 'type', 'accepts'],
              exposed_headers: ['x-auth-token'],
              max_age: 23,
              credentials: true,
            },
            { route: r.options },
          ),
          instance('cors', { preflight_continue: true }, { route: r.continue }),
          instance('cors', { origins: ['*'], credentials: true }, { route: r.star }),
          instance(
            'cors',
            { origins: ['http://my-site.test', 'https://my-other-site.test:9000'] },
            { route: r.flat },
          ),
          instance('cors', { origins: ['(.*[./])?foo\\.test', 'http://bar.test'] }, { route: r.regex }),
          instance('cors', { origins: ['http://a.test'], allow_origin_absent: false }, { route: r.absent }),
          instance('cors', {}, { route: r.exit }),
          instance('request-termination', { status_code: 403, message: 'nope' }, { route: r.exit }),
          instance('cors', { private_network: true }, { route: r.network }),
        ],
      }),
      { handler: upstream },
    );
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it("answers a preflight itself with Kong's defaults, without calling the service", async () => {
    const before = rig.upstream.received.length;
    const res = await preflight('/defaults', 'origin1.test');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], '0');
    assert.deepEqual(corsOf(res.headers), {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': DEFAULT_METHODS,
    });
    assert.equal(rig.upstream.received.length, before);
  });

  it('replies with the requested headers when none are configured', async () => {
    const res = await preflight('/defaults', 'origin1.test', {
      'access-control-request-headers': 'origin,accepts',
    });
    assert.equal(res.headers['access-control-allow-headers'], 'origin,accepts');
  });

  it('sends the configured origin, methods, headers, max_age and credentials on a preflight', async () => {
    const res = await preflight('/options', 'origin5.test');
    assert.equal(res.status, 200);
    assert.deepEqual(corsOf(res.headers), {
      'access-control-allow-origin': 'example.test',
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'origin,type,accepts',
      'access-control-allow-methods': 'GET',
      'access-control-max-age': '23',
      vary: 'Origin',
    });
  });

  it('adds origin, credentials and exposed headers to a proxied response', async () => {
    const res = await send(rig.port, '/options', { origin: 'origin5.test' });
    assert.equal(res.status, 200);
    assert.deepEqual(corsOf(res.headers), {
      'access-control-allow-origin': 'example.test',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-auth-token',
      vary: 'Origin',
    });
  });

  it('passes a preflight to the service with preflight_continue, adding nothing', async () => {
    const res = await preflight('/continue/status/201', 'origin.test');
    assert.equal(res.status, 201);
    assert.deepEqual(JSON.parse(res.body), { method: 'OPTIONS', code: 201 });
    assert.deepEqual(corsOf(res.headers), {});
  });

  it('proxies an OPTIONS request that is not a preflight, with the CORS headers', async () => {
    const res = await send(rig.port, '/defaults', { origin: 'o.test' }, 'OPTIONS');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).method, 'OPTIONS');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['access-control-allow-methods'], undefined);
  });

  it("answers the request's own origin when credentials are on with origins `*`", async () => {
    const res = await preflight('/star', 'origin5.test');
    assert.equal(res.headers['access-control-allow-origin'], 'origin5.test');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers.vary, 'Origin');
  });

  it('matches flat origins by scheme, host and port, the default port dropped', async () => {
    const acao = async (origin: string) =>
      (await send(rig.port, '/flat', { origin })).headers['access-control-allow-origin'];
    assert.equal(await acao('http://my-site.test'), 'http://my-site.test');
    assert.equal(await acao('http://my-site.test:80'), 'http://my-site.test');
    assert.equal(await acao('http://my-site.test:8000'), undefined);
    assert.equal(await acao('https://my-site.test'), undefined);
    assert.equal(await acao('https://my-other-site.test:9000'), 'https://my-other-site.test:9000');
    assert.equal(await acao('https://my-other-site.test:9001'), undefined);
  });

  it('matches regex origins anchored, on the host when the regex has no port', async () => {
    const acao = async (origin: string) =>
      (await preflight('/regex', origin)).headers['access-control-allow-origin'];
    assert.equal(await acao('http://foo.test'), 'http://foo.test');
    assert.equal(await acao('https://something.foo.test:8000'), 'https://something.foo.test:8000');
    assert.equal(await acao('http://foo.test.evil.test'), undefined);
    assert.equal(await acao('http://evilfoo.test'), undefined);
    assert.equal(await acao('http://bar.test'), 'http://bar.test');
  });

  it("keeps the service's Vary and removes its Access-Control-Allow-Origin when no origin matches", async () => {
    const res = await send(rig.port, '/flat?vary=Accept-Encoding&acao=http://evil.test', {
      origin: 'http://bad.test',
    });
    assert.equal(res.headers.vary, 'Accept-Encoding, Origin');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('adds nothing without an Origin when allow_origin_absent is off, and the configured origin when on', async () => {
    assert.deepEqual(corsOf((await send(rig.port, '/absent')).headers), {});
    assert.equal((await send(rig.port, '/defaults')).headers['access-control-allow-origin'], '*');
  });

  it("adds the headers to another plugin's response", async () => {
    const res = await send(rig.port, '/exit', { origin: 'o.test' });
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { message: 'nope' });
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });

  it('allows a private network only when configured and asked', async () => {
    const asked = { 'access-control-request-private-network': 'true' };
    const res = await preflight('/network', 'o.test', asked);
    assert.equal(res.headers['access-control-allow-private-network'], 'true');
    assert.equal(
      (await preflight('/network', 'o.test')).headers['access-control-allow-private-network'],
      undefined,
    );
    assert.equal(
      (await preflight('/defaults', 'o.test', asked)).headers['access-control-allow-private-network'],
      undefined,
    );
  });
});
