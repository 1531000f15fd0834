import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Router } from './compile.ts';
import { compileRouter } from './compile.ts';
import { match } from './match.ts';
import { patchRouter } from './patch.ts';
import { request } from './test-support.ts';
import type { RequestKey, RouteConfig, RouterFlavor, ServiceConfig } from './types.ts';

/** mulberry32, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

const HOSTS = [undefined, ['a.test'], ['*.test'], ['a.test:8000'], ['b.test', 'a.*'], ['b.test']];
const PATHS = [
  undefined,
  ['/a'],
  ['/a/b'],
  ['~/a/\\d+'],
  ['~/a|/b'],
  ['/b', '~/c+'],
  ['/'],
  ['/a', '/a/b', '/ccc'],
];
const METHODS = [undefined, ['GET'], ['POST']];
const HEADERS: RouteConfig['headers'][] = [
  undefined,
  { 'x-v': ['1'] },
  { 'x-v': ['~*^[12]$'], 'x-w': ['y'] },
];
const SERVICE_IDS = ['s1', 's2', 's3'];
const ROUTE_IDS = Array.from({ length: 30 }, (_, i) => `r${i}`);

function randomRoute(next: () => number, id: string): RouteConfig {
  return {
    id,
    created_at: Math.floor(next() * 3),
    hosts: pick(next, HOSTS),
    paths: pick(next, PATHS) ?? ['/fallback'],
    methods: pick(next, METHODS),
    headers: pick(next, HEADERS),
    regex_priority: Math.floor(next() * 3),
    strip_path: next() < 0.5,
    path_handling: next() < 0.5 ? 'v0' : 'v1',
    service: next() < 0.1 ? null : { id: pick(next, SERVICE_IDS) },
  };
}

function randomService(next: () => number, id: string): ServiceConfig {
  return {
    id,
    protocol: 'http',
    host: pick(next, ['up1.test', 'up2.test']),
    port: 80,
    path: pick(next, [null, '/x']),
    enabled: next() < 0.8,
  };
}

function randomRequest(next: () => number): RequestKey {
  return request(pick(next, ['/', '/a', '/a/b', '/a/12', '/b/c', '/x/b', '/ccc', '/a/b/c', '/fallback/1']), {
    method: pick(next, ['GET', 'POST']),
    host: pick(next, ['a.test', 'a.test:8000', 'b.test', 'z.test', 'a.org']),
    headers: pick(next, [{}, { 'x-v': '1' }, { 'x-v': '2', 'x-w': 'Y' }]),
    localPort: pick(next, [8000, 80]),
  });
}

function outcome(router: Router, req: RequestKey) {
  const found = match(router, req);
  return found === undefined
    ? undefined
    : {
        route: found.route.id,
        service: found.service?.id,
        path: found.upstreamPath,
        host: found.upstreamHost,
      };
}

describe('patchRouter', () => {
  for (const flavor of ['traditional_compatible', 'traditional'] as const satisfies RouterFlavor[]) {
    it(`routes like a full compile over random sequences of route and service upserts and deletes, its cache inheriting the previous version's answers (${flavor})`, () => {
      const next = random(flavor === 'traditional' ? 7_654_321 : 1_234_567);
      for (let sequence = 0; sequence < 20; sequence++) {
        const routes = new Map<string, RouteConfig>();
        const services = new Map<string, ServiceConfig>();
        for (const id of SERVICE_IDS.slice(0, 2)) services.set(id, randomService(next, id));
        for (const id of ROUTE_IDS.slice(0, 12)) routes.set(id, randomRoute(next, id));
        let router = compileRouter([...routes.values()], services, { flavor });
        // Asked of every version before and after its patch: the patched cache inherits their answers.
        const asked = Array.from({ length: 40 }, () => randomRequest(next));
        for (let step = 0; step < 25; step++) {
          for (const req of asked) match(router, req);
          const changedRoutes = new Map<string, RouteConfig | undefined>();
          const changedServices = new Set<string>();
          const count = 1 + Math.floor(next() * 3);
          for (let c = 0; c < count; c++) {
            if (next() < 0.2) {
              const id = pick(next, SERVICE_IDS);
              changedServices.add(id);
              if (next() < 0.3) services.delete(id);
              else services.set(id, randomService(next, id));
            } else {
              const id = pick(next, ROUTE_IDS);
              const value = next() < 0.3 ? undefined : randomRoute(next, id);
              changedRoutes.set(id, value);
              if (value === undefined) routes.delete(id);
              else routes.set(id, value);
            }
          }
          router = patchRouter(router, {
            routes: changedRoutes,
            services: changedServices,
            serviceMap: services,
            allRoutes: () => routes.values(),
          });
          const full = compileRouter([...routes.values()], services, { flavor });
          assert.equal(router.flavor, flavor);
          const context = `sequence ${sequence}, step ${step}`;
          assert.equal(router.size, full.size, context);
          assert.deepEqual(
            [...router.state.order].map((c) => `${c.route.id}#${c.group}`),
            [...full.state.order].map((c) => `${c.route.id}#${c.group}`),
            context,
          );
          assert.deepEqual(router.index.headerNames, full.index.headerNames, context);
          for (const req of [...asked, ...Array.from({ length: 20 }, () => randomRequest(next))]) {
            assert.deepEqual(outcome(router, req), outcome(full, req), `${context}: ${JSON.stringify(req)}`);
          }
        }
      }
    });
  }

  it('keeps the order of a full compile through patches of hundreds of routes across the chunks of the order', () => {
    const next = random(42);
    const services = new Map<string, ServiceConfig>();
    const routes = new Map<string, RouteConfig>();
    const route = (i: number): RouteConfig => ({
      id: `r${String(i).padStart(5, '0')}`,
      created_at: Math.floor(next() * 5),
      paths: [`/p/${Math.floor(next() * 50)}`],
      regex_priority: Math.floor(next() * 2),
    });
    for (let i = 0; i < 2000; i++) routes.set(route(i).id, route(i));
    let router = compileRouter([...routes.values()], services);
    const ids = () => [...routes.keys()];
    for (let step = 0; step < 12; step++) {
      const changed = new Map<string, RouteConfig | undefined>();
      // A run of neighbours in id order (created_at ties sort by id) deleted or replaced, plus new routes.
      const all = ids().sort();
      const from = Math.floor(next() * all.length);
      for (const id of all.slice(from, from + 300))
        changed.set(id, next() < 0.7 ? undefined : { ...routes.get(id)!, created_at: 9 });
      for (let k = 0; k < 100; k++) {
        const fresh = route(10_000 + step * 1000 + k);
        changed.set(fresh.id, fresh);
      }
      for (const [id, value] of changed) {
        if (value === undefined) routes.delete(id);
        else routes.set(id, value);
      }
      router = patchRouter(router, {
        routes: changed,
        services: new Set(),
        serviceMap: services,
        allRoutes: () => routes.values(),
      });
      const full = compileRouter([...routes.values()], services);
      assert.equal(router.size, full.size);
      assert.equal(router.state.order.length, full.size);
      assert.deepEqual(
        [...router.state.order].map((c) => c.route.id),
        [...full.state.order].map((c) => c.route.id),
        `step ${step}`,
      );
      const ranks = [...router.state.order].map((c) => c.rank);
      assert.ok(
        ranks.every((rank, i) => i === 0 || rank > ranks[i - 1]!),
        `step ${step}: ranks ascend`,
      );
    }
  });

  it('leaves the previous router as it was', () => {
    const service: ServiceConfig = { id: 's1', protocol: 'http', host: 'up.test', port: 80 };
    const services = new Map([['s1', service]]);
    const a: RouteConfig = { id: 'a', paths: ['/a'], service: { id: 's1' } };
    const b: RouteConfig = { id: 'b', paths: ['/a'], hosts: ['h.test'], service: { id: 's1' } };
    const before = compileRouter([a], services);
    const after = patchRouter(before, {
      routes: new Map([
        ['b', b],
        ['a', undefined],
      ]),
      services: new Set(),
      serviceMap: services,
      allRoutes: () => [b],
    });
    const req = request('/a', { host: 'h.test' });
    assert.equal(match(before, req)?.route.id, 'a');
    assert.equal(match(after, req)?.route.id, 'b');
    assert.equal(match(after, request('/a'))?.route.id, undefined);
    assert.equal(match(before, request('/a'))?.route.id, 'a');
  });

  it('compiles a route whose missing service arrives, and reports only the routes it touched', () => {
    const route: RouteConfig = { id: 'r', paths: ['/r'], service: { id: 'late' } };
    const other: RouteConfig = { id: 'o', paths: ['/o'], service: { id: 'never' } };
    const before = compileRouter([route, other], []);
    assert.equal(before.problems.length, 2);
    const services = new Map<string, ServiceConfig>([
      ['late', { id: 'late', protocol: 'http', host: 'up.test', port: 80 }],
    ]);
    const after = patchRouter(before, {
      routes: new Map(),
      services: new Set(['late']),
      serviceMap: services,
      allRoutes: () => [route, other],
    });
    assert.equal(match(after, request('/r'))?.route.id, 'r');
    assert.deepEqual(after.problems, []);
  });

  it('drops the routes of a service that is disabled, and brings them back when it is enabled', () => {
    const route: RouteConfig = { id: 'r', paths: ['/r'], service: { id: 's' } };
    const service: ServiceConfig = { id: 's', protocol: 'http', host: 'up.test', port: 80 };
    const toggle = (previous: Router, enabled: boolean) =>
      patchRouter(previous, {
        routes: new Map(),
        services: new Set(['s']),
        serviceMap: new Map([['s', { ...service, enabled }]]),
        allRoutes: () => [route],
      });
    const on = compileRouter([route], [service]);
    const off = toggle(on, false);
    assert.equal(match(off, request('/r')), undefined);
    assert.equal(match(on, request('/r'))?.route.id, 'r');
    assert.equal(match(toggle(off, true), request('/r'))?.route.id, 'r');
  });

  it('keeps the flavor of the router it patches', () => {
    const route: RouteConfig = { id: 'r', paths: ['/rou'], strip_path: false, path_handling: 'v1' };
    const service: ServiceConfig = { id: 's', protocol: 'http', host: 'up.test', port: 80, path: '/srv' };
    const services = new Map([['s', service]]);
    const withService = { ...route, service: { id: 's' } };
    const before = compileRouter([], services, { flavor: 'traditional' });
    const after = patchRouter(before, {
      routes: new Map([['r', withService]]),
      services: new Set(),
      serviceMap: services,
      allRoutes: () => [withService],
    });
    assert.equal(after.flavor, 'traditional');
    assert.equal(match(after, request('/roureq'))?.upstreamPath, '/srvroureq');
  });

  it('still routes right after many inserts at the same place in the order', () => {
    const services = new Map<string, ServiceConfig>();
    const routes = new Map<string, RouteConfig>([
      ['first', { id: 'first', paths: ['/p'], created_at: 0 }],
      ['last', { id: 'last', paths: ['/p'], created_at: 2 }],
    ]);
    let router = compileRouter([...routes.values()], services);
    // Each new route sorts just after `first` (same priority, created_at 1, ids descending).
    for (let i = 0; i < 200; i++) {
      const id = `m${String(999 - i).padStart(3, '0')}`;
      const route: RouteConfig = { id, paths: ['/p'], created_at: 1 };
      routes.set(id, route);
      router = patchRouter(router, {
        routes: new Map([[id, route]]),
        services: new Set(),
        serviceMap: services,
        allRoutes: () => routes.values(),
      });
    }
    const full = compileRouter([...routes.values()], services);
    assert.deepEqual(
      [...router.state.order].map((c) => c.route.id),
      [...full.state.order].map((c) => c.route.id),
    );
    assert.equal(match(router, request('/p'))?.route.id, 'first');
  });
});
