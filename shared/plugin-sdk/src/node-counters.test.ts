import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installNodeCounters, LocalNodeCounters, type NodeCounters, nodeCounters } from './node-counters.ts';

const NONE = Number.NaN;
const T0 = Date.parse('2024-05-01T10:00:00.000Z');

/** One minute window of `limit` containing `now` (slot 0), and optionally a second one (slot 1). */
function minute(now: number, limit: number, second = NONE): Float64Array {
  const start = now - (now % 60_000);
  const secStart = now - (now % 1000);
  return Float64Array.from([start, start + 60_000, limit, secStart, secStart + 1000, second]);
}

describe('node counters (LocalNodeCounters)', () => {
  it('count one per take until the limit, then refuse without counting', () => {
    const counters = new LocalNodeCounters();
    const seen: [number, number][] = [];
    for (let i = 0; i < 5; i++) {
      const taken = counters.take('k', minute(T0 + i, 3));
      seen.push([taken.counts[0]!, taken.refused]);
    }
    assert.deepEqual(seen, [
      [0, -1],
      [1, -1],
      [2, -1],
      [3, 0],
      [3, 0],
    ]);
  });

  it('start again in the next window, and a take naming an earlier window counts in the newer one', () => {
    const counters = new LocalNodeCounters();
    counters.take('k', minute(T0, 3));
    assert.equal(counters.take('k', minute(T0 + 60_000, 3)).counts[0], 0);
    // A worker whose clock read just before the boundary does not send the window back.
    assert.equal(counters.take('k', minute(T0 + 59_999, 3)).counts[0], 1);
    assert.equal(counters.take('k', minute(T0 + 60_001, 3)).counts[0], 2);
  });

  it('a full window refuses for every slot; the slot reported is the last full one', () => {
    const counters = new LocalNodeCounters();
    assert.equal(counters.take('k', minute(T0, 5, 1)).refused, -1);
    const refused = counters.take('k', minute(T0 + 10, 5, 1));
    assert.equal(refused.refused, 1);
    assert.equal(refused.counts[0], 1, 'the minute was not counted either');
    assert.equal(counters.take('k', minute(T0 + 1000, 5, 1)).counts[0], 1);
  });

  it('keep keys apart, drop entries whose windows ended, and evict the oldest when full', () => {
    const counters = new LocalNodeCounters({ maxEntries: 2 });
    counters.take('a', minute(T0, 9));
    counters.take('b', minute(T0, 9));
    assert.equal(counters.take('b', minute(T0, 9)).counts[0], 1);
    counters.take('c', minute(T0, 9));
    assert.equal(counters.size, 2);
    assert.equal(counters.take('a', minute(T0, 9)).counts[0], 0, 'a was evicted');
    counters.take('new', minute(T0 + 61_000, 9));
    assert.equal(counters.size, 1);
  });

  it('nodeCounters is one store per process until the engine installs another', () => {
    const first = nodeCounters();
    assert.equal(nodeCounters(), first);
    const installed: NodeCounters = { take: () => ({ counts: new Float64Array(0), refused: -1 }) };
    installNodeCounters(installed);
    assert.equal(nodeCounters(), installed);
    installNodeCounters(first);
  });
});
