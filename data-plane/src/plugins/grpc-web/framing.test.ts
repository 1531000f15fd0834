import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64Pieces, firstPayload, frame, trailerFrame, Unframer } from './framing.ts';

describe('grpc-web framing', () => {
  it("frames as Kong's grpc tools do, and its trailer frame byte for byte", () => {
    assert.deepEqual([...frame(0, Buffer.from('hi'))], [0, 0, 0, 0, 2, 0x68, 0x69]);
    // Kong's spec/03-plugins/32-grpc-web: the trailer of a successful call, in base64.
    assert.equal(
      trailerFrame('0', '').toString('base64'),
      'gAAAAB5ncnBjLXN0YXR1czowDQpncnBjLW1lc3NhZ2U6DQo=',
    );
  });

  it('cuts frames across chunks, and keeps an incomplete one for the next', () => {
    const bytes = Buffer.concat([frame(0, Buffer.from('one')), frame(0x80, Buffer.from('two'))]);
    const u = new Unframer();
    assert.deepEqual(u.push(bytes.subarray(0, 4)), []);
    const first = u.push(bytes.subarray(4, 10));
    assert.deepEqual(
      first.map((f) => [f.flags, f.payload.toString()]),
      [[0, 'one']],
    );
    assert.equal(u.rest.length, 2);
    const second = u.push(bytes.subarray(10));
    assert.deepEqual(
      second.map((f) => [f.flags, f.payload.toString()]),
      [[0x80, 'two']],
    );
    assert.equal(u.rest.length, 0);
    assert.equal(firstPayload(bytes)?.toString(), 'one');
    assert.equal(firstPayload(bytes.subarray(0, 6)), undefined);
  });

  it('decodes base64 sent as padded pieces end to end', () => {
    const joined = 'AAAAAAwKCmhlbGxvIGhleWE=gAAAAB5ncnBjLXN0YXR1czowDQpncnBjLW1lc3NhZ2U6DQo=';
    const bytes = decodeBase64Pieces(joined);
    assert.equal(bytes.length, 17 + 35);
    assert.equal(bytes[17], 0x80);
    assert.deepEqual(decodeBase64Pieces('AAAAAAYKBGhleWE='), Buffer.from('AAAAAAYKBGhleWE=', 'base64'));
  });
});
