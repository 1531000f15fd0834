import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeComponent, decodePairs, decodeUtf8, utf8ErrorAt } from './url-text.ts';

describe('strict percent-decoding', () => {
  test('utf8ErrorAt finds the first byte of an invalid sequence, and -1 for valid UTF-8', () => {
    assert.equal(utf8ErrorAt(Buffer.from('plain été 🚀')), -1);
    assert.equal(utf8ErrorAt(Uint8Array.from([0x61, 0xff])), 1);
    assert.equal(utf8ErrorAt(Uint8Array.from([0xc3, 0x28])), 0, 'a lead byte without its continuation');
    assert.equal(utf8ErrorAt(Uint8Array.from([0xc0, 0xaf])), 0, 'an overlong encoding');
    assert.equal(utf8ErrorAt(Uint8Array.from([0xed, 0xa0, 0x80])), 0, 'a UTF-16 surrogate');
    assert.equal(utf8ErrorAt(Uint8Array.from([0xf4, 0x90, 0x80, 0x80])), 0, 'past U+10FFFF');
    assert.equal(utf8ErrorAt(Uint8Array.from([0x61, 0x62, 0xe2, 0x82])), 2, 'truncated at the end');
  });

  test('decodeUtf8 refuses NUL with its position', () => {
    assert.deepEqual(decodeUtf8(Uint8Array.from([0x61, 0x00])), {
      ok: false,
      message: 'invalid NUL character detected at position 2',
    });
  });

  test('escapes and plus signs decode; a stray % stays literal; bad bytes are refused', () => {
    assert.deepEqual(decodeComponent('a+b%20c', { plusIsSpace: true }), { ok: true, value: 'a b c' });
    assert.deepEqual(decodeComponent('a+b', { plusIsSpace: false }), { ok: true, value: 'a+b' });
    assert.deepEqual(decodeComponent('100%', { plusIsSpace: true }), { ok: true, value: '100%' });
    assert.deepEqual(decodeComponent('%zz%C3%A9', { plusIsSpace: true }), { ok: true, value: '%zzé' });
    assert.deepEqual(decodeComponent('ok%FF', { plusIsSpace: true }), {
      ok: false,
      message: 'invalid utf-8 character sequence detected at position 3',
    });
    assert.equal(decodeComponent('a%00', { plusIsSpace: true }).ok, false);
    assert.equal(decodeComponent('a\u0000', { plusIsSpace: true }).ok, false, 'a literal NUL');
    assert.equal(decodeComponent('\ud800', { plusIsSpace: true }).ok, false, 'a lone surrogate');
    assert.deepEqual(decodeComponent('été', { plusIsSpace: true }), { ok: true, value: 'été' });
  });

  test('in bytes mode every char is one byte, so raw UTF-8 decodes and raw garbage is refused', () => {
    const raw = (bytes: number[]) => Buffer.from(bytes).toString('latin1');
    assert.deepEqual(decodeComponent(raw([0xc3, 0xa9]), { plusIsSpace: true, bytes: true }), {
      ok: true,
      value: 'é',
    });
    assert.equal(decodeComponent(raw([0x61, 0xfe]), { plusIsSpace: true, bytes: true }).ok, false);
  });

  test('pairs keep their order and report undecodable values and keys by name', () => {
    const { pairs, problems } = decodePairs('a=1&b=%FF&&c&%C3%28=2&a=3');
    assert.deepEqual(pairs, [
      ['a', '1'],
      ['c', ''],
      ['a', '3'],
    ]);
    assert.deepEqual(problems, {
      b: 'invalid utf-8 character sequence detected at position 1',
      '%C3%28': 'invalid parameter name: invalid utf-8 character sequence detected at position 1',
    });
  });
});
