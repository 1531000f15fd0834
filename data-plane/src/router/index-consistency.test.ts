import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouter } from './compile.ts';
import { match } from './match.ts';
import { request, SERVICE } from './test-support.ts';
import type { RequestKey, RouteConfig } from './types.ts';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickOne<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

const HOSTS = [undefined, ['a.test'], ['*.test'], ['a.test:8000'], ['b.test', 'a.*']];
const PATHS = [undefined, ['/a'], ['/a/b'], ['~/a/\\d+'], ['~/a|/b'], ['~/(a|b)/c'], ['/b', '~/c+'], ['/']];
const METHODS = [undefined, ['GET'], ['POST']];
const HEADERS: (RouteConfig['headers'] | undefined)[] = [
  undefined,
  { 'x-v': ['1'] },
  { 'x-v': ['~*^[12]$'], 'x-w': ['y'] },
];

function randomRoutes(next: () => number, n: number): RouteConfig[] {
  const routes: RouteConfig[] = [];
  while (routes.length < n) {
    const route: RouteConfig = {
      id: `r${routes.length}`,
      created_at: Math.floor(next() * 3),
      hosts: pickOne(next, HOSTS),
      paths: pickOne(next, PATHS),
      methods: pickOne(next, METHODS),
      headers: pickOne(next, HEADERS),
      regex_priority: Math.floor(next() * 3),
    };
    if (route.hosts || route.paths || route.methods || route.headers) routes.push(route);
  }
  return routes;
}

function randomRequest(next: () => number): RequestKey {
  return request(pickOne(next, ['/', '/a', '/a/b', '/a/12', '/b/c', '/x/b', '/ccc', '/a/b/c']), {
    method: pickOne(next, ['GET', 'POST']),
    host: pickOne(next, ['a.test', 'a.test:8000', 'b.test', 'z.test', 'a.org']),
    headers: pickOne(next, [{}, { 'x-v': '1' }, { 'x-v': '2', 'x-w': 'Y' }]),
  });
}

function winnerOf(routes: readonly RouteConfig[], req: RequestKey): string | undefined {
  return match(compileRouter(routes, [SERVICE], { cacheSize: 0 }), req)?.route.id;
}

// The index (host buckets, prefix map, regex literal prefixes, early cut-off) must never change
// the outcome: the winner is the matching route that beats every other matching route one-on-one.
describe('the index', () => {
  it('picks the same route as one-on-one comparisons, on random route tables', () => {
    const next = random(20240611);
    let contested = 0;
    for (let table = 0; table < 40; table++) {
      const routes = randomRoutes(next, 12);
      const router = compileRouter(routes, [SERVICE]);
      for (let r = 0; r < 25; r++) {
        const req = randomRequest(next);
        const matching = routes.filter((route) => winnerOf([route], req) === route.id);
        const expected = matching.find((w) =>
          matching.every((o) => o === w || winnerOf([w, o], req) === w.id),
        );
        const context = JSON.stringify({ routes, req });
        if (matching.length > 0) assert.ok(expected, `no route beats all others: ${context}`);
        if (matching.length > 1) contested++;
        assert.equal(match(router, req)?.route.id, expected?.id, context);
        assert.equal(match(router, req)?.route.id, expected?.id, `cached: ${context}`);
      }
    }
    // The table must exercise priority, not only single matches.
    assert.ok(contested > 300, `only ${contested} requests matched several routes`);
  });
});
