import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resetSeconds, windowEnd, windowStart } from './windows.ts';

const at = (iso: string) => Date.parse(iso);

describe('rate-limiting windows', () => {
  const now = at('2024-02-29T13:45:30.250Z');

  it('align second, minute, hour and day on UTC boundaries', () => {
    assert.equal(windowStart('second', now), at('2024-02-29T13:45:30.000Z'));
    assert.equal(windowStart('minute', now), at('2024-02-29T13:45:00.000Z'));
    assert.equal(windowStart('hour', now), at('2024-02-29T13:00:00.000Z'));
    assert.equal(windowStart('day', now), at('2024-02-29T00:00:00.000Z'));
  });

  it('start months on the first of the UTC month and years on 1 January UTC', () => {
    assert.equal(windowStart('month', now), at('2024-02-01T00:00:00.000Z'));
    assert.equal(windowStart('year', now), at('2024-01-01T00:00:00.000Z'));
  });

  it('end calendar months and years on the next one, the others after their length', () => {
    assert.equal(windowEnd('month', at('2024-02-01T00:00:00Z')), at('2024-03-01T00:00:00Z'));
    assert.equal(windowEnd('month', at('2024-12-01T00:00:00Z')), at('2025-01-01T00:00:00Z'));
    assert.equal(windowEnd('year', at('2024-01-01T00:00:00Z')), at('2025-01-01T00:00:00Z'));
    assert.equal(windowEnd('minute', at('2024-02-29T13:45:00Z')), at('2024-02-29T13:46:00Z'));
  });

  it("report the reset as Kong does: the period's length minus the whole seconds elapsed, at least 1", () => {
    assert.equal(resetSeconds('minute', now), 30);
    assert.equal(resetSeconds('second', now), 1);
    assert.equal(resetSeconds('hour', now), 3600 - (45 * 60 + 30));
    assert.equal(resetSeconds('minute', at('2024-02-29T13:45:59.999Z')), 1);
    assert.equal(resetSeconds('minute', at('2024-02-29T13:45:00.000Z')), 60);
    // Kong counts a month as 30 days whatever the calendar says.
    assert.equal(resetSeconds('month', at('2024-02-01T00:00:10Z')), 2592000 - 10);
  });
});
