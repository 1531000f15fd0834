import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropConnectionNamed, RequestHeaderScanner } from './request-headers.ts';

const scanner = new RequestHeaderScanner('x-real-ip', 8192);

describe('RequestHeaderScanner', () => {
  it('forwards ordinary headers in order and case, and pulls out Host and X-Forwarded-*', () => {
    const s = scanner.scan([
      'Host',
      'a.test',
      'Accept',
      '*/*',
      'X-Forwarded-For',
      '1.1.1.1',
      'X-Custom',
      'v',
    ]);
    assert.deepEqual(s.forward, ['Accept', '*/*', 'X-Custom', 'v']);
    assert.equal(s.host, 'a.test');
    assert.equal(s.forwardedFor, '1.1.1.1');
    assert.equal(s.status, 0);
  });

  it('takes HTTP/2 :authority as the Host, ignores a Host beside it, and forwards no pseudo-header', () => {
    const s = scanner.scan([
      ':method',
      'GET',
      ':path',
      '/',
      ':authority',
      'a.test:8443',
      'host',
      'b.test',
      'x-a',
      '1',
    ]);
    assert.equal(s.host, 'a.test:8443');
    assert.equal(s.status, 0);
    assert.deepEqual(s.forward, ['x-a', '1']);
  });

  it('joins repeated X-Forwarded-For values with a comma', () => {
    const s = scanner.scan(['X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2']);
    assert.equal(s.forwardedFor, '1.1.1.1, 2.2.2.2');
  });

  it('takes the client’s Via headers out, joined, for the proxy to send them on with its own', () => {
    const s = scanner.scan(['Via', '1.1 dev', 'X-A', '1', 'via', '1.0 edge']);
    assert.equal(s.via, '1.1 dev, 1.0 edge');
    assert.deepEqual(s.forward, ['X-A', '1']);
    assert.equal(scanner.scan(['X-A', '1']).via, undefined);
  });

  it('drops hop-by-hop headers and Expect', () => {
    const s = scanner.scan([
      'Connection',
      'keep-alive',
      'Keep-Alive',
      '5',
      'TE',
      'trailers',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'x',
      'Expect',
      '100-continue',
      'X-Ok',
      '1',
    ]);
    assert.deepEqual(s.forward, ['X-Ok', '1']);
    assert.equal(s.chunked, true);
  });

  it('drops the headers named in Connection', () => {
    const s = scanner.scan(['Connection', 'close, X-Hop', 'X-Hop', '1', 'X-Ok', '2']);
    assert.deepEqual(s.forward, ['X-Ok', '2']);
  });

  it('refuses two Host headers with 400', () => {
    assert.equal(scanner.scan(['Host', 'a', 'host', 'b']).status, 400);
  });

  it('refuses headers over the byte limit with 431', () => {
    const small = new RequestHeaderScanner('x-real-ip', 20);
    assert.equal(small.scan(['X-Long', 'a'.repeat(30)]).status, 431);
  });

  it('reads the Content-Length and keeps it for the upstream', () => {
    const s = scanner.scan(['Content-Length', '12']);
    assert.equal(s.contentLength, 12);
    assert.deepEqual(s.forward, ['Content-Length', '12']);
  });
});

describe('dropConnectionNamed', () => {
  it('keeps everything when Connection names only keep-alive or close', () => {
    const forward = ['A', '1'];
    assert.equal(dropConnectionNamed(forward, 'keep-alive, close'), forward);
  });
});
