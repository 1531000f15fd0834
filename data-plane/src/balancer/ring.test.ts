import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRing, pickFromRing } from './ring.ts';
import { peer, tally } from './test-support.ts';

const KEYS = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

describe('consistent hashing', () => {
  it('maps the same key to the same peer, on every build', () => {
    const ring = buildRing([peer('10.0.0.1'), peer('10.0.0.2'), peer('10.0.0.3')], 10_000);
    const again = buildRing([peer('10.0.0.1'), peer('10.0.0.2'), peer('10.0.0.3')], 10_000);
    for (const key of KEYS.slice(0, 100)) {
      assert.equal(pickFromRing(ring, key, undefined)!.ip, pickFromRing(ring, key, undefined)!.ip);
      assert.equal(pickFromRing(ring, key, undefined)!.ip, pickFromRing(again, key, undefined)!.ip);
    }
  });

  it('spreads keys over all peers by weight', () => {
    const ring = buildRing([peer('a', 100), peer('b', 100), peer('c', 200)], 10_000);
    const counts = tally(KEYS.map((key) => pickFromRing(ring, key, undefined)));
    assert.ok(counts.get('a')! > 250 && counts.get('b')! > 250, JSON.stringify([...counts]));
    assert.ok(counts.get('c')! > counts.get('a')!, JSON.stringify([...counts]));
  });

  it('moves few keys when a peer is added: only those the new peer takes', () => {
    const three = [peer('10.0.0.1'), peer('10.0.0.2'), peer('10.0.0.3')];
    const before = buildRing(three, 10_000);
    const after = buildRing([...three, peer('10.0.0.4')], 10_000);
    let moved = 0;
    for (const key of KEYS) {
      const was = pickFromRing(before, key, undefined)!.ip;
      const now = pickFromRing(after, key, undefined)!.ip;
      if (was !== now) {
        moved++;
        assert.equal(now, '10.0.0.4', 'a key only ever moves to the new peer');
      }
    }
    assert.ok(moved > 0 && moved < KEYS.length * 0.4, `moved ${moved}`);
  });

  it('walks past an unavailable peer and the one a retry avoids', () => {
    const peers = [peer('a'), peer('b'), peer('c')];
    const ring = buildRing(peers, 1000);
    const first = pickFromRing(ring, 'k', undefined)!;
    const retry = pickFromRing(ring, 'k', first)!;
    assert.notEqual(retry, first);
    first.state.healthy = false;
    assert.equal(pickFromRing(ring, 'k', undefined), retry);
    for (const p of peers) p.state.healthy = false;
    assert.equal(pickFromRing(ring, 'k', undefined), undefined);
  });

  it('gives a weight 0 peer no point on the ring', () => {
    const ring = buildRing([peer('a'), peer('off', 0)], 1000);
    const counts = tally(KEYS.slice(0, 300).map((key) => pickFromRing(ring, key, undefined)));
    assert.deepEqual([...counts.keys()], ['a']);
  });
});
