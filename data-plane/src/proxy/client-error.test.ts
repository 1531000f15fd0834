import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientErrorStatus, overflowStatus } from './client-error.ts';

function overflow(text: string, bytesParsed = text.length) {
  return { code: 'HPE_HEADER_OVERFLOW', rawPacket: Buffer.from(text, 'latin1'), bytesParsed };
}

describe('overflowStatus', () => {
  it('is 414 when the limit was passed inside a request line', () => {
    assert.equal(overflowStatus(overflow(`GET /${'a'.repeat(100)}`)), 414);
    // The line starts after a complete pipelined request in the same chunk.
    assert.equal(overflowStatus(overflow(`GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /${'a'.repeat(100)}`)), 414);
  });

  it('is 431 when it was passed inside the headers', () => {
    assert.equal(overflowStatus(overflow(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(100)}`)), 431);
    assert.equal(overflowStatus(overflow(`GET / HTTP/1.1\r\nX-Big: a b c ${'b'.repeat(100)}`)), 431);
    // A complete request line followed by nothing yet: the headers are what overflowed.
    assert.equal(overflowStatus(overflow('GET /a HTTP/1.1')), 431);
  });

  it('is 431 for a chunk that continues an earlier line (it cannot tell) or carries nothing', () => {
    assert.equal(overflowStatus(overflow('a'.repeat(100))), 431);
    assert.equal(overflowStatus({ code: 'HPE_HEADER_OVERFLOW' }), 431);
  });
});

describe('clientErrorStatus', () => {
  it('is 505 for another major version than 1, and 400 for an unknown minor version', () => {
    const version = (line: string) => ({
      code: 'HPE_INVALID_VERSION',
      rawPacket: Buffer.from(`${line}\r\nHost: a\r\n\r\n`),
      bytesParsed: line.length,
    });
    assert.equal(clientErrorStatus(version('GET / HTTP/3.0')), 505);
    assert.equal(clientErrorStatus(version('GET / HTTP/1.2')), 400);
  });

  it('is 408 for timeouts and 400 for any other parser error', () => {
    assert.equal(clientErrorStatus({ code: 'HPE_HEADERS_TIMEOUT' }), 408);
    assert.equal(clientErrorStatus({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }), 408);
    assert.equal(clientErrorStatus({ code: 'HPE_INVALID_CHUNK_SIZE' }), 400);
    assert.equal(clientErrorStatus({}), 400);
  });
});
