import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { request } from 'node:https';
import { describe, it } from 'node:test';
import { rawFrame, rawH2Bytes, rawH2Request } from '../helpers/h2-frames.ts';
import { recordingUpstream, route, service, withoutRequestId } from './proxy-fixtures.ts';
import { tlsTestProxy } from './proxy-tls-fixtures.ts';

interface H2Response {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

async function h2Request(
  port: number,
  headers: Record<string, string>,
  body?: string,
  servername = 'gateway.test',
): Promise<H2Response> {
  const session = connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, servername });
  try {
    const stream = session.request(headers, { endStream: body === undefined });
    if (body !== undefined) stream.end(body);
    const [responseHeaders] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    let text = '';
    stream.setEncoding('utf8');
    for await (const chunk of stream) text += chunk;
    return { headers: responseHeaders, body: text };
  } finally {
    session.close();
  }
}

describe('HTTP/2 on TLS listeners', () => {
  it('proxies HTTP/2 requests to an HTTP/1.1 upstream with the right headers both ways', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await tlsTestProxy(
      { services: [service(upstream.port)], routes: [route({ paths: ['/api'] })] },
      { http2: true },
    );
    const res = await h2Request(proxy.tlsPort, { ':path': '/api/items?q=1', 'x-client': 'yes' });
    assert.equal(res.headers[':status'], 200);
    assert.equal(res.headers['x-upstream'], 'yes');
    assert.match(String(res.headers.via), /turnpike/);
    assert.ok(res.headers['x-kong-proxy-latency'] !== undefined);
    assert.equal(res.headers.connection, undefined);
    const seen = upstream.received[0]!;
    assert.equal(seen.url, '/items?q=1');
    assert.equal(seen.headers.host, `127.0.0.1:${upstream.port}`);
    assert.equal(seen.headers['x-client'], 'yes');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-host'], 'gateway.test');
    assert.equal(seen.headers['x-forwarded-prefix'], '/api');
    assert.ok(!seen.rawHeaders.some((name) => name.startsWith(':')), 'no pseudo-header reaches the upstream');
  });

  it('routes on :authority as the Host', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await tlsTestProxy(
      {
        services: [service(upstream.port)],
        routes: [route({ hosts: ['api.example.test'], preserve_host: true })],
      },
      { http2: true },
    );
    const hit = await h2Request(proxy.tlsPort, { ':path': '/', ':authority': 'api.example.test' });
    assert.equal(hit.headers[':status'], 200);
    assert.equal(upstream.received[0]!.headers.host, 'api.example.test');
    const miss = await h2Request(proxy.tlsPort, { ':path': '/', ':authority': 'other.test' });
    assert.equal(miss.headers[':status'], 404);
    assert.deepEqual(withoutRequestId(JSON.parse(miss.body)), {
      message: 'no Route matched with those values',
    });
  });

  it('streams request bodies that HTTP/2 sends without a Content-Length', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await tlsTestProxy(
      { services: [service(upstream.port)], routes: [route()] },
      { http2: true },
    );
    const res = await h2Request(proxy.tlsPort, { ':path': '/upload', ':method': 'POST' }, 'payload');
    assert.equal(res.headers[':status'], 200);
    assert.equal(upstream.received[0]!.body.toString(), 'payload');
    assert.equal(upstream.received[0]!.method, 'POST');
  });

  it("answers Kong's errors over HTTP/2 without connection-specific headers", async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await tlsTestProxy(
      { services: [service(upstream.port)], routes: [route({ protocols: ['ws', 'wss'] })] },
      { http2: true },
    );
    const res = await h2Request(proxy.tlsPort, { ':path': '/' });
    assert.equal(res.headers[':status'], 426);
    assert.equal(res.headers.connection, undefined);
    assert.equal(upstream.received.length, 0);
  });

  it('still serves HTTP/1.1 clients on the same port, by ALPN', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await tlsTestProxy(
      { services: [service(upstream.port)], routes: [route()] },
      { http2: true },
    );
    const answer = await new Promise<{ status: number; alpn: string | false | null }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: proxy.tlsPort, path: '/h1', rejectUnauthorized: false, agent: false },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 200);
    assert.notEqual(answer.alpn, 'h2');
    assert.equal(upstream.received[0]!.url, '/h1');
  });

  it('offers only HTTP/1.1 on TLS listeners without the http2 flag', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await tlsTestProxy({ services: [service(upstream.port)], routes: [route()] });
    const session = connect(`https://127.0.0.1:${proxy.tlsPort}`, { rejectUnauthorized: false });
    const [error] = (await once(session, 'error')) as [NodeJS.ErrnoException];
    session.destroy();
    assert.ok(error !== undefined);
  });
});

/**
 * Hostile HTTP/2 requests, written frame by frame (node's own client refuses to send them).
 * nghttp2, under node's HTTP/2 server, resets a stream whose pseudo-headers break RFC 9113
 * (PROTOCOL_ERROR = 1) and silently drops a regular field whose name or value is invalid (CR,
 * LF, NUL): such a field never reaches the pipeline, let alone the upstream. What nghttp2 lets
 * through is checked as on HTTP/1: :authority must be an RFC 3986 host[:port].
 */
describe('hostile HTTP/2 requests', () => {
  const base: [string, string][] = [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/'],
  ];

  async function hostileProxy() {
    const upstream = await recordingUpstream();
    const proxy = await tlsTestProxy(
      { services: [service(upstream.port)], routes: [route()] },
      { http2: true },
    );
    return {
      upstream,
      proxy,
      async [Symbol.asyncDispose]() {
        await proxy[Symbol.asyncDispose]();
        await upstream[Symbol.asyncDispose]();
      },
    };
  }

  for (const authority of ['..', 'a..b', 'a:', 'a:99999', '[::1']) {
    it(`answers 400 to :authority ${JSON.stringify(authority)}`, async () => {
      await using t = await hostileProxy();
      t.upstream.mustNotSee();
      const answer = await rawH2Request(t.proxy.tlsPort, [...base, [':authority', authority]]);
      assert.equal(answer.status, 400);
    });
  }

  for (const authority of ['a/b', 'a b', 'a\r\nb']) {
    it(`refuses :authority ${JSON.stringify(authority)} (nghttp2 resets the stream)`, async () => {
      await using t = await hostileProxy();
      t.upstream.mustNotSee();
      const answer = await rawH2Request(t.proxy.tlsPort, [...base, [':authority', authority]]);
      assert.ok(answer.reset === 1 || answer.status === 400, JSON.stringify(answer));
    });
  }

  it('answers 400 to a Host of "..", when no :authority is sent', async () => {
    await using t = await hostileProxy();
    t.upstream.mustNotSee();
    assert.equal((await rawH2Request(t.proxy.tlsPort, [...base, ['host', '..']])).status, 400);
  });

  for (const [what, value] of [
    ['CR LF', 'a\r\nx-injected: 1'],
    ['a bare LF', 'a\nx-injected: 1'],
    ['NUL', 'a\u0000b'],
  ] as const) {
    it(`never passes a header value with ${what} upstream`, async () => {
      await using t = await hostileProxy();
      t.upstream.mustNotSee(
        (head) =>
          head.headers['x-injected'] !== undefined ||
          head.rawHeaders.some(
            (field) => field.includes('\r') || field.includes('\n') || field.includes('\u0000'),
          ),
      );
      const answer = await rawH2Request(t.proxy.tlsPort, [...base, [':authority', 'a.test'], ['x-a', value]]);
      assert.ok(answer.status !== undefined || answer.reset !== undefined, JSON.stringify(answer));
      if (answer.status === 200) assert.equal(t.upstream.received[0]!.headers['x-a'], undefined);
    });
  }

  it('refuses a CR LF in :path', async () => {
    await using t = await hostileProxy();
    t.upstream.mustNotSee();
    const answer = await rawH2Request(t.proxy.tlsPort, [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/a\r\nX-Injected: 1'],
      [':authority', 'a.test'],
    ]);
    assert.ok(answer.reset === 1 || answer.status === 400, JSON.stringify(answer));
  });

  it('answers 431 to a header list over the limit, and the upstream never sees it', async () => {
    await using t = await hostileProxy();
    t.upstream.mustNotSee();
    const answer = await rawH2Request(t.proxy.tlsPort, [
      ...base,
      [':authority', 'a.test'],
      ['x-a', 'a'.repeat(40_000)],
    ]);
    assert.equal(answer.status, 431);
  });

  it('refuses more header fields than client_header_max_count (nghttp2: ENHANCE_YOUR_CALM)', async () => {
    await using t = await hostileProxy();
    t.upstream.mustNotSee();
    const many = Array.from({ length: 200 }, (_, i) => [`x-h${i}`, 'v'] as [string, string]);
    const answer = await rawH2Request(t.proxy.tlsPort, [...base, [':authority', 'a.test'], ...many]);
    assert.ok(answer.reset === 11 || answer.status === 431, JSON.stringify(answer));
  });

  it('closes a connection whose frames break the protocol, and serves the next one', async () => {
    await using t = await hostileProxy();
    t.upstream.mustNotSee();
    // HEADERS on stream 0, then DATA on a stream never opened, then a truncated frame.
    const junk = Buffer.concat([
      rawFrame(0x1, 0x5, 0, Buffer.from([0x82])),
      rawFrame(0x0, 0x1, 7, Buffer.from('data')),
      Buffer.from([0, 0, 9, 1]),
    ]);
    const goaway = await rawH2Bytes(t.proxy.tlsPort, junk);
    assert.ok(goaway === -1 || goaway === 1, String(goaway));
    t.upstream.mustNotSee(() => false);
    assert.equal((await rawH2Request(t.proxy.tlsPort, [...base, [':authority', 'a.test']])).status, 200);
  });

  it('serves a well-formed request written by the same raw client (the helper itself is sound)', async () => {
    await using t = await hostileProxy();
    const answer = await rawH2Request(t.proxy.tlsPort, [...base, [':authority', 'a.test']]);
    assert.equal(answer.status, 200);
  });
});
