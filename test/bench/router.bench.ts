/**
 * Router figures in process: ns/match and matches/s for 1, 100 and 10,000 routes of the mixed
 * table (route-mix.ts), with the match cache hit, missed, and turned off. Each measurement runs
 * for a fixed time. Part of the router section (`pnpm bench router`); also runs alone:
 * `scripts/toolchain.sh node test/bench/router.bench.ts`.
 */

import {
  compileRouter,
  match,
  type RequestKey,
  type RouteConfig,
  type ServiceConfig,
} from '@turnpike/data-plane/router';
import { Report } from './report.ts';
import { requestShape, routeShape } from './route-mix.ts';

const SERVICES: ServiceConfig[] = [
  { id: 'svc', protocol: 'http', host: 'upstream.test', port: 80, path: '/base' },
];

function makeRoutes(n: number): RouteConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `route-${String(i).padStart(6, '0')}`,
    service: { id: 'svc' },
    created_at: i,
    ...routeShape(i),
  })) as RouteConfig[];
}

function requestFor(i: number, suffix: string): RequestKey {
  return { method: 'GET', scheme: 'http', headers: {}, ...requestShape(i, suffix) };
}

/** ns per call of `run`, over `measureMs` after a warm-up. */
function measure(measureMs: number, run: (i: number) => unknown): number {
  for (let i = 0; i < 2000; i++) run(i);
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(measureMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let j = 0; j < 1024; j++) run(count++);
    now = process.hrtime.bigint();
  }
  return Number(now - start) / count;
}

export interface RouterMatchFigures {
  readonly routes: number;
  readonly compileMs: number;
  readonly hit: number;
  readonly miss: number;
  readonly uncached: number;
  readonly unmatched: number;
}

/** The in-process figures for each table size, in ns per match. */
export function routerMatchFigures(sizes: readonly number[], measureMs: number): RouterMatchFigures[] {
  const figures: RouterMatchFigures[] = [];
  for (const n of sizes) {
    const routes = makeRoutes(n);
    const compileStart = performance.now();
    const cached = compileRouter(routes, SERVICES);
    const compileMs = performance.now() - compileStart;
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
    figures.push({
      routes: n,
      compileMs,
      hit: measure(measureMs, (k) => match(cached, repeated[k % repeated.length]!)),
      miss: measure(measureMs, (k) => match(cached, requestFor(targets[k % targets.length]!, String(k)))),
      uncached: measure(measureMs, (k) => match(uncached, repeated[k % repeated.length]!)),
      unmatched: measure(measureMs, () => match(uncached, unmatched)),
    });
  }
  return figures;
}

function nsPerMatch(ns: number): string {
  return `${ns.toFixed(0)} ns/match (${Math.round(1e9 / ns).toLocaleString('en')}/s)`;
}

/** Adds the in-process rows to the router section's report. */
export function reportRouterMatch(report: Report, figures: readonly RouterMatchFigures[]): void {
  for (const f of figures) {
    const label = `match in process, ${f.routes.toLocaleString('en')} route${f.routes === 1 ? '' : 's'}`;
    report.add(`${label}: compile`, `${f.compileMs.toFixed(1)} ms`, '');
    report.add(`${label}: cache hit`, nsPerMatch(f.hit), '');
    report.add(`${label}: cache miss (unique paths)`, nsPerMatch(f.miss), '');
    report.add(`${label}: no cache`, nsPerMatch(f.uncached), '');
    report.add(`${label}: no cache, no route matches`, nsPerMatch(f.unmatched), '');
  }
}

if (import.meta.main) {
  const report = new Report('router, in process');
  reportRouterMatch(report, routerMatchFigures([1, 100, 10_000], 300));
  console.log(`\n${report.table()}`);
}
