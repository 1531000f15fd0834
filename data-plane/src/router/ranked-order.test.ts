import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter } from './compile.ts';
import { RankedOrder } from './ranked-order.ts';
import type { RouteConfig } from './types.ts';

/** 1,000 routes: four chunks of the order. */
function sortedRoutes() {
  const routes: RouteConfig[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `r${String(i).padStart(4, '0')}`,
    paths: [`/p/${i % 7}`],
    created_at: i % 3,
  }));
  return [...compileRouter(routes, []).state.order];
}

describe('RankedOrder', () => {
  it('finds the neighbours of an entry across emptied chunks, and puts every entry back in order', () => {
    const all = sortedRoutes();
    const original = RankedOrder.of(all);
    const draft = original.edit();
    const removed = all.slice(200, 600);
    for (const entry of removed) draft.remove(entry);
    for (const entry of [removed[0]!, removed[150]!, removed[399]!]) {
      const place = draft.place(entry);
      assert.equal(place.before, all[199], 'the last entry before the emptied range');
      assert.equal(place.after, all[600], 'the first entry after it');
    }
    assert.equal([...draft.seal()].length, 600);
    assert.deepEqual([...original], all, 'the list it was drafted from is left as it was');
    // Back in, all at once in one place: the chunk grows past twice its size and is split on seal.
    for (const entry of removed) draft.insert(draft.place(entry), entry);
    const sealed = draft.seal();
    assert.equal(sealed.length, all.length);
    assert.deepEqual(
      [...sealed].map((c) => c.route.id),
      all.map((c) => c.route.id),
    );
  });
});
