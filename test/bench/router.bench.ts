/**
 * Router benchmark: `node test/bench/router.bench.ts` (through scripts/toolchain.sh).
 * Prints ns/match and matches/s for 1, 100 and 10,000 routes mixing plain hosts, wildcard hosts,
 * host-less prefix paths and regex paths, with the match cache hit, missed, and turned off.
 * Each measurement runs for a fixed time; nothing is asserted.
 */

import {
  compileRouter,
  match,
  type RequestKey,
  type RouteConfig,
  type ServiceConfig,
} from '@turnpike/data-plane/router';

const MEASURE_MS = 300;
const SERVICES: ServiceConfig[] = [
  { id: 'svc', protocol: 'http', host: 'upstream.test', port: 80, path: '/base' },
];

function makeRoutes(n: number): RouteConfig[] {
  const routes: RouteConfig[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 20;
    const base = { id: `route-${String(i).padStart(6, '0')}`, service: { id: 'svc' }, created_at: i };
    if (kind < 10) routes.push({ ...base, hosts: [`svc${i}.example.com`], paths: [`/api/v${i % 10}/r${i}`] });
    else if (kind < 15) routes.push({ ...base, paths: [`/r${i}/items`] });
    else if (kind < 18) routes.push({ ...base, hosts: [`*.w${i}.test`], paths: [`/w${i}`] });
    else routes.push({ ...base, paths: [`~/re${i}/(?<id>\\d+)$`] });
  }
  return routes;
}

/** A request aimed at route i (the last route of the table when it has fewer). */
function requestFor(i: number, suffix: string): RequestKey {
  const kind = i % 20;
  const headers = {};
  if (kind < 10) {
    return {
      method: 'GET',
      scheme: 'http',
      host: `svc${i}.example.com`,
      path: `/api/v${i % 10}/r${i}/x${suffix}`,
      headers,
    };
  }
  if (kind < 15)
    return { method: 'GET', scheme: 'http', host: 'gateway.test', path: `/r${i}/items/${suffix}`, headers };
  if (kind < 18)
    return { method: 'GET', scheme: 'http', host: `a.w${i}.test:8000`, path: `/w${i}/${suffix}`, headers };
  return { method: 'GET', scheme: 'http', host: 'gateway.test', path: `/re${i}/4${suffix.length}`, headers };
}

function measure(label: string, run: (i: number) => unknown): void {
  for (let i = 0; i < 2000; i++) run(i); // warm-up
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(MEASURE_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let j = 0; j < 1024; j++) run(count++);
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start) / count;
  console.log(
    `${label.padEnd(44)} ${ns.toFixed(0).padStart(7)} ns/match ${Math.round(1e9 / ns)
      .toLocaleString('en')
      .padStart(12)} matches/s`,
  );
}

for (const n of [1, 100, 10_000]) {
  const routes = makeRoutes(n);
  const compileStart = performance.now();
  const cached = compileRouter(routes, SERVICES);
  console.log(`\n${n} routes (compiled in ${(performance.now() - compileStart).toFixed(1)} ms)`);
  const uncached = compileRouter(routes, SERVICES, { cacheSize: 0 });
  // 1,000 distinct requests spread over the table: all fit in the default cache (5,000).
  const targets = Array.from({ length: 1000 }, (_, k) => Math.floor((k * n) / 1000) % n);
  const repeated = targets.map((i) => requestFor(i, ''));
  const unmatched: RequestKey = {
    method: 'GET',
    scheme: 'http',
    host: 'nowhere.test',
    path: '/no/such/route',
    headers: {},
  };
  if (match(cached, repeated[0]!) === undefined)
    throw new Error('benchmark requests do not match their routes');

  measure('cache hit', (k) => match(cached, repeated[k % repeated.length]!));
  measure('cache miss (unique paths)', (k) =>
    match(cached, requestFor(targets[k % targets.length]!, String(k))),
  );
  measure('no cache', (k) => match(uncached, repeated[k % repeated.length]!));
  measure('no cache, no route matches', () => match(uncached, unmatched));
}
