/**
 * A failure while one request is handled stays that request's: a 500 with Kong's body (or a
 * closed connection once the response started) and one error log line, never an uncaught
 * exception (which would fail this file: the proxy runs in this process). Plugins' statuses,
 * header names and values are checked where the plugin hands them over, naming the plugin.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PluginChain, PluginRun } from '@turnpike/data-plane/runtime';
import { definePluginHandler, type PluginContext, type PluginHandler } from '@turnpike/plugin-sdk';
import { bundledPlugins, type PluginProxy, plugin, pluginProxy } from './plugin-fixtures.ts';
import {
  type CapturedLog,
  capturedLog,
  plainWithoutRequestId,
  type RecordingUpstream,
  rawRequest,
  recordingUpstream,
  route,
  service,
  statuses,
  testProxy,
  withoutRequestId,
} from './proxy-fixtures.ts';

const KONG_500 = { message: 'An unexpected error occurred' };

/**
 * The error body of a raw answer as `{ message }`, in the format Kong picks: JSON when asked for,
 * else `error_default_type` (text/plain by default: `message\n`).
 */
function bodyOf(answer: string): unknown {
  const start = answer.indexOf('\r\n\r\n') + 4;
  const length = Number(/content-length: (\d+)/i.exec(answer)?.[1] ?? 0);
  const body = answer.slice(start, start + length);
  if (/content-type: text\/plain/i.test(answer.slice(0, start))) {
    return { message: plainWithoutRequestId(body).slice(0, -1) };
  }
  return withoutRequestId(JSON.parse(body));
}

describe("the pipeline's own failures", () => {
  function brokenChain(open: () => PluginRun): PluginChain {
    return { empty: false, open };
  }

  for (const [what, chain] of [
    [
      'a chain that throws when opened',
      brokenChain(() => {
        throw new TypeError('cannot open');
      }),
    ],
    [
      'a run whose access phase rejects after an await',
      brokenChain(
        () =>
          ({
            async beforeProxy() {
              await null;
              throw new RangeError('after an await');
            },
          }) as unknown as PluginRun,
      ),
    ],
  ] as const) {
    it(`answers Kong's 500 and logs one line with a request id for ${what}`, async () => {
      const captured = capturedLog();
      await using upstream = await recordingUpstream();
      await using proxy = await testProxy([service(upstream.port)], [route()], {
        log: captured.log,
        edit: (runtime) => ({ ...runtime, chains: new Map([['route', chain]]) }),
      });
      upstream.mustNotSee();
      const answer = await rawRequest(proxy.port, 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.deepEqual(statuses(answer), [500]);
      assert.deepEqual(bodyOf(answer), KONG_500);
      const failures = captured.lines.filter((l) => l.msg === 'request failed');
      assert.equal(failures.length, 1);
      assert.match(String(failures[0]!.request_id), /^[0-9a-f]{32}$/);
      assert.equal(failures[0]!.path, '/x');
    });
  }
});

const ids = {
  service: '00000000-0000-4000-8000-000000000001',
  wsService: '00000000-0000-4000-8000-000000000002',
};

/** A plugin that does `act` in access (or in the phase named), on a route of its own. */
function hostile(name: string, phases: Partial<PluginHandler>): PluginHandler {
  return definePluginHandler({ name, version: '1.0.0', priority: 10, ...phases });
}

const CASES: Record<string, Partial<PluginHandler>> = {
  'status-999': { access: (ctx) => ctx.response.exit(999, 'x') },
  'status-float': { access: (ctx) => ctx.response.exit(200.5) },
  'exit-header-crlf': { access: (ctx) => ctx.response.exit(403, 'no', { 'X-Why': 'a\r\nX-Injected: 1' }) },
  'exit-header-name': { access: (ctx) => ctx.response.exit(403, 'no', { 'Bad Name': 'v' }) },
  'response-header-lf': { access: (ctx) => ctx.setResponseHeader('X-A', 'a\nb') },
  'upstream-header-nul': { access: (ctx) => ctx.setUpstreamHeader('X-A', 'a\u0000b') },
  'upstream-header-name': { access: (ctx) => ctx.setUpstreamHeader('X A', 'v') },
  'upstream-query-crlf': { access: (ctx) => ctx.setUpstreamQuery('a=1 HTTP/1.1\r\nX-Injected: 1') },
  'async-throw': {
    async access() {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('after an await');
    },
  },
  'header-throws': {
    header() {
      throw new Error('in header');
    },
  },
  'header-crlf': { header: (ctx: PluginContext) => ctx.setResponseHeader('X-A', 'a\r\nb') },
  'body-throws': {
    body() {
      throw new Error('in body');
    },
  },
};

describe('plugins that misbehave', () => {
  let upstream: RecordingUpstream;
  let proxy: PluginProxy;
  let captured: CapturedLog;

  before(async () => {
    const plugins = await bundledPlugins();
    upstream = await recordingUpstream();
    const routes = Object.keys(CASES).map((name, i) => ({
      id: `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`,
      name,
      paths: [`/${name}`],
      service: { id: ids.service },
    }));
    const entities = {
      services: [{ id: ids.service, protocol: 'http', host: '127.0.0.1', port: upstream.port }],
      routes,
      plugins: routes.map((r) => plugin(r.name, r.id)),
    };
    captured = capturedLog();
    const extra = new Map(Object.entries(CASES).map(([name, phases]) => [name, hostile(name, phases)]));
    proxy = await pluginProxy(plugins, entities, extra, { log: captured.log });
  });

  after(async () => {
    await proxy?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
  });

  const refusedBeforeTheService = [
    ['status-999', /gave the status 999, expected an integer from 100 to 599/],
    ['status-float', /gave the status 200\.5/],
    ['exit-header-crlf', /gave header X-Why an invalid value/],
    ['exit-header-name', /gave an invalid header name "Bad Name"/],
    ['response-header-lf', /gave header X-A an invalid value/],
    ['upstream-header-nul', /gave header X-A an invalid value/],
    ['upstream-header-name', /gave an invalid header name "X A"/],
    ['upstream-query-crlf', /gave an invalid query string/],
    ['async-throw', /after an await/],
  ] as const;
  for (const [name, message] of refusedBeforeTheService) {
    it(`answers Kong's 500 to ${name}, logs the plugin's name, and the service never sees the request`, async () => {
      upstream.mustNotSee(
        (head) => head.url.startsWith(`/${name}`) || head.headers['x-injected'] !== undefined,
      );
      const answer = await rawRequest(
        proxy.port,
        `GET /${name} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      assert.deepEqual(statuses(answer), [500], answer);
      assert.deepEqual(bodyOf(answer), KONG_500);
      assert.doesNotMatch(answer, /X-Injected/i);
      const lines = captured.lines.filter((l) => l.plugin === name && l.msg === 'plugin failed');
      assert.equal(lines.length, 1, JSON.stringify(captured.lines.filter((l) => l.plugin === name)));
      assert.match(String((lines[0]!.err as { message: string }).message), message);
      assert.match(String(lines[0]!.request_id), /^[0-9a-f]{32}$/);
    });
  }

  for (const name of ['header-throws', 'header-crlf']) {
    it(`answers Kong's 500 instead of the service's response when a header phase fails (${name})`, async () => {
      const answer = await rawRequest(
        proxy.port,
        `GET /${name} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      assert.deepEqual(statuses(answer), [500], answer);
      assert.deepEqual(bodyOf(answer), KONG_500);
      assert.ok(captured.lines.some((l) => l.plugin === name && l.phase === 'header'));
    });
  }

  it('closes the connection when a body phase throws after the headers went out', async () => {
    const started = Date.now();
    // Keep-alive asked for: only a close by the proxy ends the answer before the 5 s idle limit.
    const answer = await rawRequest(proxy.port, 'GET /body-throws HTTP/1.1\r\nHost: a\r\n\r\n', 5000);
    assert.ok(Date.now() - started < 4000, 'the proxy closed the connection');
    // Nothing of the body passed the failed phase: at most the status line and headers went out.
    assert.ok(statuses(answer).length <= 1, answer);
    assert.doesNotMatch(answer, /"url"/);
    assert.ok(captured.lines.some((l) => l.plugin === 'body-throws' && l.phase === 'body'));
  });
});

describe('plugins that misbehave on a WebSocket handshake', () => {
  it("answers a raw 500, never the plugin's value spliced into the response head", async () => {
    const plugins = await bundledPlugins();
    await using upstream = await recordingUpstream();
    const routeId = '00000000-0000-4000-8000-0000000002a1';
    const entities = {
      services: [{ id: ids.wsService, protocol: 'http', host: '127.0.0.1', port: upstream.port }],
      routes: [{ id: routeId, paths: ['/ws'], service: { id: ids.wsService } }],
      plugins: [plugin('exit-header-crlf', routeId)],
    };
    const captured = capturedLog();
    const extra = new Map([['exit-header-crlf', hostile('exit-header-crlf', CASES['exit-header-crlf']!)]]);
    await using proxy = await pluginProxy(plugins, entities, extra, { log: captured.log });
    upstream.mustNotSee();
    const socket = connect(proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.setEncoding('latin1');
    let answer = '';
    socket.on('data', (d: string) => {
      answer += d;
    });
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await once(socket, 'close');
    assert.deepEqual(statuses(answer), [500], answer);
    assert.doesNotMatch(answer, /X-Injected/i);
    assert.ok(captured.lines.some((l) => l.plugin === 'exit-header-crlf' && l.msg === 'plugin failed'));
  });
});
