import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { request } from 'node:https';
import { describe, it } from 'node:test';
import { recordingUpstream, route, service } from './proxy-fixtures.ts';
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
    assert.deepEqual(JSON.parse(miss.body), { message: 'no Route matched with those values' });
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
