import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { responseHeaderFlags } from '@turnpike/data-plane/proxy';
import {
  closedPort,
  plainWithoutRequestId,
  rawRequest,
  recordingUpstream,
  route,
  send,
  service,
  statuses,
  testProxy,
  withoutRequestId,
} from './proxy-fixtures.ts';

describe('proxy forwarding', () => {
  it('forwards a GET with its query string kept byte for byte and returns the upstream response', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route({ paths: ['/api'] })]);
    const res = await fetch(proxy.url('/api/items?b=2&a=%20x&&flag'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-upstream'), 'yes');
    assert.match(res.headers.get('via') ?? '', /^1\.1 turnpike\/\d/);
    assert.match(res.headers.get('x-kong-upstream-latency') ?? '', /^\d+$/);
    assert.match(res.headers.get('x-kong-proxy-latency') ?? '', /^\d+$/);
    await res.arrayBuffer();
    assert.equal(upstream.received.length, 1);
    assert.equal(upstream.received[0]!.url, '/items?b=2&a=%20x&&flag');
  });

  it('streams a POST body to the upstream before the client has finished sending it when request_buffering is off', async () => {
    await using upstream = await recordingUpstream((_req, res, body) => res.end(`got ${body.length}`));
    await using proxy = await testProxy([service(upstream.port)], [route({ request_buffering: false })]);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const parts = (async function* () {
      yield Buffer.alloc(1000, 'a');
      await gate;
      yield Buffer.alloc(500, 'b');
    })();
    const pending = fetch(proxy.url('/upload'), {
      method: 'POST',
      body: Readable.toWeb(Readable.from(parts)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    // The upstream's connection opens while the client still holds the rest of its body back.
    while (upstream.connections === 0) await new Promise((r) => setImmediate(r));
    release();
    const res = await pending;
    assert.equal(await res.text(), 'got 1500');
    assert.equal(upstream.received[0]!.headers['transfer-encoding'], 'chunked');
    assert.equal(upstream.received[0]!.body.toString(), 'a'.repeat(1000) + 'b'.repeat(500));
  });

  it('keeps a Content-Length body as is', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route()]);
    const res = await fetch(proxy.url('/p'), { method: 'PUT', body: 'hello' });
    await res.text();
    assert.equal(upstream.received[0]!.method, 'PUT');
    assert.equal(upstream.received[0]!.headers['content-length'], '5');
    assert.equal(upstream.received[0]!.body.toString(), 'hello');
  });

  it('strips the matched prefix and joins the service path when strip_path is on', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy(
      [service(upstream.port, { path: '/base' })],
      [route({ paths: ['/api'], strip_path: true })],
    );
    await (await fetch(proxy.url('/api/users/1?x=1'))).text();
    assert.equal(upstream.received[0]!.url, '/base/users/1?x=1');
    assert.equal(upstream.received[0]!.headers['x-forwarded-prefix'], '/api');
  });

  it('keeps the full path when strip_path is off', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy(
      [service(upstream.port)],
      [route({ paths: ['/api'], strip_path: false })],
    );
    await (await fetch(proxy.url('/api/users'))).text();
    assert.equal(upstream.received[0]!.url, '/api/users');
  });

  it('sends the service host as Host, or the client Host with preserve_host', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy(
      [service(upstream.port)],
      [route({ id: 'a', paths: ['/a'] }), route({ id: 'b', paths: ['/b'], preserve_host: true })],
    );
    await send(proxy.port, '/a', { host: 'client.example' });
    await send(proxy.port, '/b', { host: 'client.example:8000' });
    assert.equal(upstream.received[0]!.headers.host, `127.0.0.1:${upstream.port}`);
    assert.equal(upstream.received[1]!.headers.host, 'client.example:8000');
  });

  it('answers 404 with Kong body and headers when no route matches', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route({ paths: ['/only'] })]);
    const res = await fetch(proxy.url('/other'));
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.match(res.headers.get('server') ?? '', /^turnpike\/\d/);
    assert.deepEqual(withoutRequestId(await res.json()), { message: 'no Route matched with those values' });
    assert.equal(upstream.received.length, 0);
  });

  it('omits Server, Via, latency and request id headers when headers = off', async () => {
    await using upstream = await recordingUpstream();
    const off = responseHeaderFlags(['off'], 'json');
    await using proxy = await testProxy([service(upstream.port)], [route({ paths: ['/a'] })], {
      settings: { headers: off },
    });
    const ok = await fetch(proxy.url('/a'));
    await ok.text();
    assert.equal(ok.headers.get('via'), null);
    assert.equal(ok.headers.get('x-kong-proxy-latency'), null);
    assert.equal(ok.headers.get('x-kong-request-id'), null);
    // headers_upstream is its own key: the upstream still gets the id.
    assert.match(String(upstream.received[0]!.headers['x-kong-request-id']), /^[0-9a-f]{32}$/);
    const miss = await fetch(proxy.url('/zzz'));
    await miss.text();
    assert.equal(miss.headers.get('server'), null);
  });
});

describe('https-only routes', () => {
  it('answers 426 with Kong body and Upgrade headers to plain http', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route({ protocols: ['https'] })]);
    const answer = await rawRequest(
      proxy.port,
      'GET /x HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n',
    );
    assert.deepEqual(statuses(answer), [426]);
    assert.match(answer, /\r\nUpgrade: TLS\/1\.2, HTTP\/1\.1\r\n/i);
    assert.match(answer, /\r\nConnection: Upgrade\r\n/i);
    const id = /\r\nX-Kong-Request-Id: ([0-9a-f]{32})\r\n/.exec(answer)?.[1];
    assert.ok(
      answer.endsWith(`{\n  "message":"Please use HTTPS protocol",\n  "request_id":"${id}"\n}`),
      answer,
    );
    assert.equal(upstream.received.length, 0);
  });

  for (const code of [301, 302, 307, 308] as const) {
    it(`redirects to the https URL with ${code} when https_redirect_status_code is ${code}`, async () => {
      await using upstream = await recordingUpstream();
      await using proxy = await testProxy(
        [service(upstream.port)],
        [route({ protocols: ['https'], https_redirect_status_code: code })],
      );
      const res = await send(proxy.port, '/path?q=1', { host: 'Shop.Example:8000' });
      assert.equal(res.status, code);
      assert.equal(res.headers.location, 'https://shop.example/path?q=1');
      assert.equal(res.body, '');
    });
  }

  it('proxies an https-only route when a trusted peer says X-Forwarded-Proto: https', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route({ protocols: ['https'] })], {
      settings: { trustedIps: ['127.0.0.1'] },
    });
    const res = await fetch(proxy.url('/x'), { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(res.status, 200);
    await res.text();
  });

  it('serves https listeners with a generated certificate and routes them as https', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route({ protocols: ['https'] })], {
      https: true,
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: proxy.httpsPort, path: '/secure', rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.equal(upstream.received[0]!.headers['x-forwarded-proto'], 'https');
    assert.equal(upstream.received[0]!.headers['x-forwarded-port'], String(proxy.httpsPort));
  });
});

describe('upstream failures', () => {
  it('answers 502 with Kong body when the upstream refuses connections', async () => {
    const port = await closedPort();
    await using proxy = await testProxy([service(port, { retries: 0 })], [route()]);
    const res = await fetch(proxy.url('/'));
    assert.equal(res.status, 502);
    assert.deepEqual(withoutRequestId(await res.json()), {
      message: 'An invalid response was received from the upstream server',
    });
  });

  it('retries a refused connection `retries` times, then answers 502', async () => {
    const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
    const port = await closedPort();
    await using proxy = await testProxy([service(port, { retries: 3 })], [route()]);
    let attempts = 0;
    const count = () => {
      attempts++;
    };
    subscribe('undici:client:connectError', count);
    try {
      const res = await fetch(proxy.url('/'), { method: 'POST', body: 'payload' });
      assert.equal(res.status, 502);
      await res.text();
    } finally {
      unsubscribe('undici:client:connectError', count);
    }
    assert.equal(attempts, 4);
  });

  it('never retries once the upstream has the request: one connection, then 502', async () => {
    let connections = 0;
    const { createServer } = await import('node:net');
    const server = createServer((socket) => {
      connections++;
      socket.once('data', () => socket.destroy());
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    await using proxy = await testProxy([service(port, { retries: 5 })], [route()]);
    try {
      const res = await fetch(proxy.url('/'), { method: 'POST', body: 'x' });
      assert.equal(res.status, 502);
      await res.text();
      assert.equal(connections, 1);
    } finally {
      server.close();
    }
  });

  it('answers 504 with Kong body when the upstream does not answer within read_timeout', async () => {
    await using upstream = await recordingUpstream(() => {
      /* never answers */
    });
    await using proxy = await testProxy([service(upstream.port, { read_timeout: 150 })], [route()]);
    const res = await fetch(proxy.url('/slow'));
    assert.equal(res.status, 504);
    assert.deepEqual(withoutRequestId(await res.json()), { message: 'The upstream server is timing out' });
  });

  it('answers 504 when the upstream stops reading the request body for longer than write_timeout', {
    timeout: 20_000,
  }, async () => {
    const { createServer, request } = await import('node:http');
    // An upstream that takes the request and then never reads its body.
    const stalled = createServer((req) => {
      req.pause();
      req.socket.pause();
    });
    stalled.listen(0, '127.0.0.1');
    await once(stalled, 'listening');
    const port = (stalled.address() as { port: number }).port;
    try {
      // Streamed: buffered, the 256 MiB below would first go to a temp file (and still time out, later).
      await using proxy = await testProxy(
        [service(port, { write_timeout: 300, read_timeout: 60_000 })],
        [route({ request_buffering: false })],
      );
      const started = Date.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: proxy.port,
          path: '/upload',
          method: 'POST',
          agent: false,
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = () => {
          // Up to 256 MiB: far more than the socket buffers between here and the upstream hold.
          while (sent < 4096) {
            sent++;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      assert.equal(status, 504);
      assert.ok(Date.now() - started < 30_000, 'answered long before read_timeout');
    } finally {
      stalled.closeAllConnections();
      stalled.close();
    }
  });

  it("answers Kong's 503 for a route without a service, in the format Accept asks for", async () => {
    await using proxy = await testProxy([], [{ id: 'r', paths: ['/'] }]);
    const res = await fetch(proxy.url('/'));
    assert.equal(res.status, 503);
    assert.deepEqual(withoutRequestId(await res.json()), { message: 'no Service found with those values' });
    const text = await fetch(proxy.url('/'), { headers: { accept: 'text/plain' } });
    assert.equal(plainWithoutRequestId(await text.text()), 'no Service found with those values\n');
  });
});
