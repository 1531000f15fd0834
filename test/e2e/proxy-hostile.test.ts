/**
 * Requests a hostile client sends, each seen to get through (or to crash a worker) before
 * issue 12, over raw sockets against an upstream that fails the test if it parses a request it
 * must not see. The proxy runs in this process: an uncaught exception fails the file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '@turnpike/data-plane/proxy';
import {
  plainWithoutRequestId,
  proxiedUpstream,
  type RecordedHead,
  rawExchange,
  rawRequest,
  recordingUpstream,
  route,
  send,
  service,
  statuses,
  testProxy,
  withoutRequestId,
} from './proxy-fixtures.ts';

function guardedProxy() {
  return proxiedUpstream({ settings: { limits: DEFAULT_LIMITS } });
}

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

describe('HTTP versions an HTTP/1 listener does not serve', () => {
  it('answers 505 to a request line naming HTTP/2.0 and closes, and keeps serving', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee();
    const answer = await rawRequest(t.proxy.port, 'GET /x HTTP/2.0\r\nHost: a\r\n\r\n');
    assert.deepEqual(statuses(answer), [505]);
    assert.deepEqual(bodyOf(answer), { message: 'HTTP version not supported' });
    assert.match(answer, /\r\nConnection: close\r\n/i);
    t.upstream.mustNotSee(() => false);
    assert.equal((await send(t.proxy.port, '/after')).status, 200);
  });

  it('answers ten HTTP/2.0 request lines at once, each with 505', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        rawRequest(t.proxy.port, `POST /x${i} HTTP/2.0\r\nHost: a\r\n\r\n`),
      ),
    );
    for (const answer of answers) assert.deepEqual(statuses(answer), [505]);
  });

  const versions: [string, number][] = [
    ['HTTP/3.0', 505],
    ['HTTP/1.2', 400],
    ['HTTP/0.9', 400],
  ];
  for (const [version, status] of versions) {
    it(`answers ${status} to ${version}`, async () => {
      await using t = await guardedProxy();
      t.upstream.mustNotSee();
      assert.deepEqual(statuses(await rawRequest(t.proxy.port, `GET / ${version}\r\nHost: a\r\n\r\n`)), [
        status,
      ]);
    });
  }
});

describe('a CR or LF inside the request line', () => {
  const lines: [string, string][] = [
    ['CR LF', 'GET /a\r\nX-Injected: 1 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a bare LF', 'GET /a\nX-Injected: 1 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a bare CR', 'GET /a\rX-Injected: 1 HTTP/1.1\r\nHost: a\r\n\r\n'],
  ];
  for (const [what, bytes] of lines) {
    it(`answers 400 to ${what} in the target and no header is injected upstream`, async () => {
      await using t = await guardedProxy();
      t.upstream.mustNotSee((head) => head.headers['x-injected'] !== undefined || head.url === '/b');
      const answer = await rawRequest(t.proxy.port, bytes);
      assert.equal(statuses(answer).at(-1), 400, answer);
    });
  }

  it('answers a pipelined request whose line ends before its version with 400, after the valid one before it', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee((head) => head.url !== '/a');
    const answer = await rawRequest(
      t.proxy.port,
      'GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b\r\nX-Injected: 1\r\nHost: a\r\n\r\n',
    );
    assert.deepEqual(statuses(answer), [200, 400]);
  });

  it('keeps a percent-encoded CR LF encoded: it reaches the upstream as bytes of the path, never as a line', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee((head) => head.headers['x-injected'] !== undefined);
    const answer = await rawRequest(
      t.proxy.port,
      'GET /a%0d%0aX-Injected:%201 HTTP/1.1\r\nHost: a\r\n\r\n',
      300,
    );
    assert.deepEqual(statuses(answer), [200]);
    assert.equal(t.upstream.received[0]!.url, '/a%0D%0AX-Injected:%201');
  });
});

describe('Host values', () => {
  const invalid = ['a/b', 'a b', '..', 'a..b', 'a@b', 'a\\b', 'a:', 'a:99999', '[::1', 'a%zz', 'a?b', 'a#b'];
  for (const host of invalid) {
    it(`answers 400 to Host ${JSON.stringify(host)}`, async () => {
      await using t = await guardedProxy();
      t.upstream.mustNotSee();
      const answer = await rawRequest(t.proxy.port, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      assert.deepEqual(statuses(answer), [400], answer);
      assert.deepEqual(bodyOf(answer), { message: 'Bad request' });
    });
  }

  it('answers 400 to an empty Host', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee();
    assert.deepEqual(statuses(await rawRequest(t.proxy.port, 'GET / HTTP/1.1\r\nHost: \r\n\r\n')), [400]);
  });

  const valid = [
    'example.com',
    'EXAMPLE.com:8000',
    '127.0.0.1:80',
    '[::1]:8000',
    'under_score.test',
    'fqdn.test.',
  ];
  for (const host of valid) {
    it(`proxies Host ${JSON.stringify(host)}`, async () => {
      await using t = await guardedProxy();
      const answer = await rawRequest(
        t.proxy.port,
        `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      assert.deepEqual(statuses(answer), [200], answer);
      assert.equal(
        t.upstream.received[0]!.headers['x-forwarded-host'],
        host.replace(/:\d+$/, '').toLowerCase(),
      );
    });
  }
});

describe('pipelined requests followed by garbage', () => {
  it('answers the valid requests first, in order, then 400, then closes', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee((head: RecordedHead) => head.url !== '/1' && head.url !== '/2');
    const answer = await rawRequest(
      t.proxy.port,
      'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n',
    );
    assert.deepEqual(statuses(answer), [200, 200, 400]);
    const urls = [...answer.matchAll(/"url":"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(urls, ['/1', '/2']);
    assert.deepEqual(
      t.upstream.received.map((r) => r.url),
      ['/1', '/2'],
    );
  });

  it('answers a slow valid request before the 400 of the garbage that followed it', async () => {
    await using upstream = await recordingUpstream((_req, res) => {
      setTimeout(() => res.end('slow'), 200);
    });
    await using proxy = await testProxy([service(upstream.port)], [route()]);
    upstream.mustNotSee((head) => head.url !== '/slow');
    const answer = await rawRequest(
      proxy.port,
      'GET /slow HTTP/1.1\r\nHost: a\r\n\r\n\u0001\u0002 nope\r\n\r\n',
    );
    assert.deepEqual(statuses(answer), [200, 400]);
    assert.ok(answer.indexOf('slow') < answer.lastIndexOf('HTTP/1.1 400'), answer);
  });

  it('answers a valid request, then 400 for a chunked body that breaks its framing, whose request never reaches the upstream', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee((head) => head.url !== '/ok');
    const answer = await rawRequest(
      t.proxy.port,
      'GET /ok HTTP/1.1\r\nHost: a\r\n\r\nPOST /broken HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloEXTRA\r\n0\r\n\r\n',
    );
    assert.deepEqual(statuses(answer), [200, 400]);
  });
});

describe('pipelined requests followed by a CONNECT or an upgrade', () => {
  it('answers the valid requests before a pipelined CONNECT, then 405, then closes', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee((head) => head.url !== '/1');
    const answer = await rawRequest(
      t.proxy.port,
      'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nCONNECT internal.test:443 HTTP/1.1\r\nHost: internal.test:443\r\n\r\n',
    );
    assert.deepEqual(statuses(answer), [200, 405]);
  });

  it('refuses a WebSocket handshake pipelined behind a request still being answered, after that answer', async () => {
    await using upstream = await recordingUpstream((_req, res) => {
      setTimeout(() => res.end('slow'), 100);
    });
    await using proxy = await testProxy([service(upstream.port)], [route()]);
    upstream.mustNotSee((head) => head.url !== '/slow');
    const answer = await rawRequest(
      proxy.port,
      'GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.deepEqual(statuses(answer), [200, 400]);
  });
});

describe('clients that half-close', () => {
  it('answers a request whose client closed its side right after sending it (printf … | nc)', async () => {
    await using t = await guardedProxy();
    const { answer, timedOut } = await rawExchange(
      t.proxy.port,
      'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n',
      { halfClose: true, idleMs: 3000 },
    );
    assert.equal(timedOut, false);
    assert.deepEqual(statuses(answer), [200, 200, 400]);
  });
});

describe('request line length', () => {
  it('answers 414, not 431, to a 128 KiB request line', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee();
    const answer = await rawRequest(
      t.proxy.port,
      `GET /${'a'.repeat(128 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    );
    assert.deepEqual(statuses(answer), [414]);
    assert.deepEqual(bodyOf(answer), { message: 'URI too long' });
  });

  it('answers 414 to a 128 KiB request line pipelined after a valid request, which is answered first', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee((head) => head.url !== '/first');
    const answer = await rawRequest(
      t.proxy.port,
      `GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /${'a'.repeat(128 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    );
    assert.deepEqual(statuses(answer), [200, 414]);
  });

  it('still answers 431 to a header block over the limit', async () => {
    await using t = await guardedProxy();
    t.upstream.mustNotSee();
    const answer = await rawRequest(
      t.proxy.port,
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`,
    );
    assert.deepEqual(statuses(answer), [431]);
  });
});
