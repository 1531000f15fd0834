import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sniffPreface } from './h2c.ts';

describe('sniffPreface', () => {
  it('tells the HTTP/2 preface from HTTP/1, waiting while the bytes could still be either', () => {
    assert.equal(sniffPreface(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0')), 'h2');
    assert.equal(sniffPreface(Buffer.from('PRI * HT')), undefined);
    assert.equal(sniffPreface(Buffer.from('P')), undefined);
    assert.equal(sniffPreface(Buffer.from('POST / HTTP/1.1\r\n')), 'h1');
    assert.equal(sniffPreface(Buffer.from('GET / HTTP/1.1\r\n')), 'h1');
    assert.equal(sniffPreface(Buffer.from('PRI * HTTP/1.1\r\n')), 'h1');
  });
});
