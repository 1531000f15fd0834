import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalCounters } from './counters.ts';

const NONE = Number.NaN;
/** second, minute, hour, day, month, year */
const minuteOnly = Float64Array.from([NONE, 3, NONE, NONE, NONE, NONE]);
const secondAndHour = Float64Array.from([2, NONE, 10, NONE, NONE, NONE]);
const T0 = Date.parse('2024-05-01T10:00:00.000Z');

describe('rate-limiting local counters', () => {
  it('count requests in the current window and start again in the next one', () => {
    const counters = new LocalCounters();
    for (let i = 0; i < 3; i++)
      counters.increment(counters.entry('k', minuteOnly, T0 + i * 1000), minuteOnly);
    assert.equal(counters.entry('k', minuteOnly, T0 + 59_999).counts[1], 3);
    assert.equal(counters.entry('k', minuteOnly, T0 + 60_000).counts[1], 0);
  });

  it('keep each period of one identifier apart', () => {
    const counters = new LocalCounters();
    counters.increment(counters.entry('k', secondAndHour, T0), secondAndHour);
    counters.increment(counters.entry('k', secondAndHour, T0 + 100), secondAndHour);
    const next = counters.entry('k', secondAndHour, T0 + 1000);
    assert.equal(next.counts[0], 0);
    assert.equal(next.counts[2], 2);
  });

  it('keep identifiers apart', () => {
    const counters = new LocalCounters();
    counters.increment(counters.entry('a', minuteOnly, T0), minuteOnly);
    assert.equal(counters.entry('b', minuteOnly, T0).counts[1], 0);
    assert.equal(counters.entry('a', minuteOnly, T0).counts[1], 1);
  });

  it('drop entries whose windows all ended', () => {
    const counters = new LocalCounters();
    counters.increment(counters.entry('old', minuteOnly, T0), minuteOnly);
    counters.entry('new', minuteOnly, T0 + 61_000);
    assert.equal(counters.size, 1);
  });

  it('evict the oldest entry when full', () => {
    const counters = new LocalCounters({ maxEntries: 2 });
    counters.increment(counters.entry('a', minuteOnly, T0), minuteOnly);
    counters.increment(counters.entry('b', minuteOnly, T0), minuteOnly);
    counters.increment(counters.entry('c', minuteOnly, T0), minuteOnly);
    assert.equal(counters.size, 2);
    assert.equal(counters.entry('b', minuteOnly, T0).counts[1], 1);
    assert.equal(counters.entry('a', minuteOnly, T0).counts[1], 0);
  });
});
