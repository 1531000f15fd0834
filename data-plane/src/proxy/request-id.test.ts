import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRequestId, REQUEST_ID_LENGTH } from './request-id.ts';

describe('newRequestId', () => {
  it('makes 32 lowercase hex digits, as Kong’s $kong_request_id', () => {
    assert.equal(REQUEST_ID_LENGTH, 32);
    assert.match(newRequestId(), /^[0-9a-f]{32}$/);
  });

  it('never repeats across several blocks of random bytes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(newRequestId());
    assert.equal(seen.size, 2000);
  });
});
