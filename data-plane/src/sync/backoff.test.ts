import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  const options = { initialMs: 500, maxMs: 30_000 };

  it('doubles the ceiling with each attempt', () => {
    const top = () => 0.999_999;
    assert.equal(backoffDelay(0, options, top), 499);
    assert.equal(backoffDelay(1, options, top), 999);
    assert.equal(backoffDelay(3, options, top), 3999);
  });

  it('never exceeds the cap, however many attempts', () => {
    assert.equal(
      backoffDelay(10, options, () => 0.999_999),
      29_999,
    );
    assert.equal(
      backoffDelay(10_000, options, () => 0.999_999),
      29_999,
    );
  });

  it('spreads delays over the whole range (full jitter)', () => {
    assert.equal(
      backoffDelay(5, options, () => 0),
      0,
    );
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(6, options)));
    assert.ok(delays.size > 40, 'random delays rarely repeat');
  });
});
