import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '@turnpike/data-plane/proxy';
import { plainWithoutRequestId, proxiedUpstream, rawRequest, statuses } from './proxy-fixtures.ts';

const LIMITS = {
  ...DEFAULT_LIMITS,
  maxBodySize: 1024,
  maxHeaderSize: 2048,
  maxHeaderCount: 20,
  maxUrlLength: 1024,
};

function limitedProxy() {
  return proxiedUpstream({ settings: { limits: LIMITS } });
}

/** The body of a raw answer: Kong's message in text/plain, error_default_type's default, as no Accept was sent. */
function kongBody(answer: string): string {
  assert.match(answer, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
  return plainWithoutRequestId(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

describe('request limits', () => {
  it('answers 413 to a Content-Length over client_max_body_size without contacting the upstream', async () => {
    await using t = await limitedProxy();
    const answer = await rawRequest(
      t.proxy.port,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(100)}`,
    );
    assert.deepEqual(statuses(answer), [413]);
    assert.equal(kongBody(answer), 'Payload too large\n');
    assert.equal(t.upstream.received.length, 0);
  });

  it('answers 413 when a chunked body grows past the limit, and the upstream never gets a complete request', async () => {
    await using t = await limitedProxy();
    const chunk = `400\r\n${'y'.repeat(1024)}\r\n`;
    const answer = await rawRequest(
      t.proxy.port,
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`,
    );
    assert.deepEqual(statuses(answer), [413]);
    assert.equal(t.upstream.received.length, 0);
  });

  it('answers 414 to a request-target over the limit', async () => {
    await using t = await limitedProxy();
    const answer = await rawRequest(t.proxy.port, `GET /${'a'.repeat(2000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.deepEqual(statuses(answer), [414]);
    assert.equal(kongBody(answer), 'URI too long\n');
  });

  it('answers 431 to headers over client_header_max_size', async () => {
    await using t = await limitedProxy();
    const answer = await rawRequest(
      t.proxy.port,
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(3000)}\r\n\r\n`,
    );
    assert.deepEqual(statuses(answer), [431]);
    assert.equal(kongBody(answer), 'Request header or cookie too large\n');
  });

  it('answers 431 to far larger headers that node refuses before the pipeline sees them', async () => {
    await using t = await limitedProxy();
    const answer = await rawRequest(
      t.proxy.port,
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`,
    );
    assert.deepEqual(statuses(answer), [431]);
  });

  it('answers 431 to more headers than client_header_max_count', async () => {
    await using t = await limitedProxy();
    let headers = '';
    for (let i = 0; i < 30; i++) headers += `X-H${i}: v\r\n`;
    const answer = await rawRequest(t.proxy.port, `GET / HTTP/1.1\r\nHost: a\r\n${headers}\r\n`);
    assert.deepEqual(statuses(answer), [431]);
    assert.equal(t.upstream.received.length, 0);
  });
});

const BAD_INPUTS: [string, string, number][] = [
  [
    'Content-Length with Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    400,
  ],
  [
    'two different Content-Length headers',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    400,
  ],
  [
    'two equal Content-Length headers',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
    400,
  ],
  ['an obs-folded header', 'GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n', 400],
  ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\u0001b\r\n\r\n', 400],
  ['a space in a header name', 'GET / HTTP/1.1\r\nHost: a\r\nX Bad: v\r\n\r\n', 400],
  ['a CONNECT request', 'CONNECT internal.test:443 HTTP/1.1\r\nHost: internal.test:443\r\n\r\n', 405],
  ['an absolute-form target', 'GET http://internal.test/secret HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['an asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  [
    'Transfer-Encoding: chunked, identity',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    400,
  ],
  [
    'Transfer-Encoding other than chunked',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc',
    400,
  ],
  ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['no Host header in HTTP/1.1', 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n', 400],
  ['a bare LF line ending', 'GET / HTTP/1.1\nHost: a\n\n', 400],
  [
    'an invalid chunk size',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    400,
  ],
];

describe('malformed and ambiguous requests', () => {
  for (const [what, bytes, status] of BAD_INPUTS) {
    it(`answers ${status} to ${what} and sends nothing upstream`, async () => {
      await using t = await limitedProxy();
      const answer = await rawRequest(t.proxy.port, bytes);
      assert.equal(statuses(answer)[0], status, answer);
      assert.equal(t.upstream.received.length, 0);
    });
  }
});

describe('request smuggling', () => {
  const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
  const attempts: [string, string][] = [
    [
      'CL.TE',
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'TE.CL',
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${(SMUGGLED.length + 0).toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
    ],
    [
      'TE.TE with an obfuscated second Transfer-Encoding',
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-encoding: x\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
  ];
  for (const [kind, bytes] of attempts) {
    it(`a ${kind} attempt never yields two upstream requests`, async () => {
      await using t = await limitedProxy();
      const answer = await rawRequest(t.proxy.port, bytes);
      assert.ok(statuses(answer).length >= 1, 'the client gets an answer');
      assert.ok(t.upstream.received.length <= 1);
      assert.ok(!t.upstream.received.some((r) => r.url === '/smuggled'));
    });
  }
});
