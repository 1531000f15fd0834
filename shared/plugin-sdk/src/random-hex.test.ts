import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomHex } from './random-hex.ts';

test('randomHex: hex of the asked length, different every call, across block refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = randomHex(16);
    assert.match(id, /^[0-9a-f]{32}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
  assert.match(randomHex(8), /^[0-9a-f]{16}$/);
  assert.throws(() => randomHex(5000), RangeError);
});
