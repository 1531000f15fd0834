import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawRequest, recordingUpstream, route, send, service, testProxy } from './proxy-fixtures.ts';

const SPOOFED = {
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'spoofed.example',
  'x-forwarded-port': '9999',
  'x-forwarded-path': '/spoofed',
  'x-forwarded-prefix': '/spoof',
  'x-real-ip': '203.0.113.9',
};

describe('X-Forwarded-* headers', () => {
  it('sets them from the connection and ignores the client values when the peer is not trusted', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route({ paths: ['/api'] })]);
    await send(proxy.port, '/api/x?q=1', { host: 'Gateway.Example:8000', ...SPOOFED });
    const h = upstream.received[0]!.headers;
    // As Kong: an incoming X-Forwarded-For is always kept and the peer appended.
    assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'gateway.example');
    assert.equal(h['x-forwarded-port'], String(proxy.port));
    assert.equal(h['x-forwarded-path'], '/api/x');
    assert.equal(h['x-forwarded-prefix'], '/api');
    assert.equal(h['x-real-ip'], '127.0.0.1');
  });

  it('believes the client values when the peer is in trusted_ips', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route({ paths: ['/api'] })], {
      settings: { trustedIps: ['127.0.0.0/8'] },
    });
    await send(proxy.port, '/api/x', { host: 'gateway.example', ...SPOOFED });
    const h = upstream.received[0]!.headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-host'], 'spoofed.example');
    assert.equal(h['x-forwarded-port'], '9999');
    assert.equal(h['x-forwarded-path'], '/spoofed');
    assert.equal(h['x-forwarded-prefix'], '/spoof');
    assert.equal(h['x-real-ip'], '203.0.113.9');
  });

  it('starts X-Forwarded-For with the client address when none came in', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route()]);
    await send(proxy.port, '/');
    assert.equal(upstream.received[0]!.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(upstream.received[0]!.headers['x-forwarded-prefix'], undefined);
  });
});

describe('hop-by-hop headers', () => {
  it('are not forwarded upstream, nor any header the Connection header names', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route()]);
    await rawRequest(
      proxy.port,
      'GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close, X-Secret-Hop\r\nKeep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nX-Secret-Hop: 1\r\n' +
        'Proxy: http://evil\r\nX-Kept: yes\r\n\r\n',
    );
    const names = upstream.received[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const hop of [
      'keep-alive',
      'proxy-connection',
      'te',
      'trailer',
      'upgrade',
      'x-secret-hop',
      'proxy',
    ]) {
      assert.ok(!names.includes(hop), `${hop} reached the upstream`);
    }
    assert.equal(upstream.received[0]!.headers['x-kept'], 'yes');
  });

  it('are not passed back to the client from the upstream response', async () => {
    await using upstream = await recordingUpstream((_req, res) => {
      res.writeHead(200, {
        connection: 'keep-alive, X-Internal',
        'keep-alive': 'timeout=99',
        'x-internal': 'secret',
        'proxy-connection': 'keep-alive',
        trailer: 'x-t',
        'x-public': 'ok',
        via: '1.1 backend',
      });
      res.end('body');
    });
    await using proxy = await testProxy([service(upstream.port)], [route()]);
    const res = await send(proxy.port, '/');
    assert.equal(res.body, 'body');
    assert.equal(res.headers['x-internal'], undefined);
    assert.notEqual(res.headers['keep-alive'], 'timeout=99');
    assert.equal(res.headers['proxy-connection'], undefined);
    assert.equal(res.headers.trailer, undefined);
    assert.equal(res.headers['x-public'], 'ok');
    assert.match(res.headers.via ?? '', /^1\.1 backend, 1\.1 turnpike\//);
  });
});
