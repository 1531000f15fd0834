/**
 * The proxy, plugins and router sections' tables, from one interleaved load run (proxy-load.ts):
 * each target's figures, and Turnpike's ratios against issue 14's targets. The router section
 * adds the in-process match figures (router.bench.ts).
 */

import { pluginCompileFigures, reportPluginCompile } from './plugin-compile.bench.ts';
import type { LoadResults, TargetResult } from './proxy-load.ts';
import { FIXED_RATE } from './proxy-load.ts';
import {
  HTTP_LOG_MAX_ENTRIES,
  SLOW_RECEIVER_MS,
  TARGET_KEYS,
  TARGET_LABELS,
  type TargetKey,
} from './proxy-targets.ts';
import { fixed, ms, type Report, rate, ratio } from './report.ts';
import { reportRouterMatch, routerMatchFigures } from './router.bench.ts';

/** The targets each load section needs (direct is always measured: it is the base of added p99). */
export const LOAD_SECTION_TARGETS = {
  proxy: [
    'direct',
    'nginx-1',
    'nginx-2',
    'bare',
    'fastify',
    'fast-gateway',
    'turnpike-1',
    'turnpike-2',
    'turnpike-10k',
    'turnpike-plugins',
  ],
  plugins: [
    'direct',
    'turnpike-1',
    'turnpike-plugins',
    'turnpike-ip-restriction',
    'turnpike-cors',
    'turnpike-request-transformer',
  ],
  observability: [
    'direct',
    'turnpike-1',
    'turnpike-nolog',
    'turnpike-prometheus',
    'turnpike-http-log-slow',
    'turnpike-opentelemetry',
  ],
  router: ['direct', 'turnpike-1', 'turnpike-10k'],
} as const satisfies Record<string, readonly TargetKey[]>;

const ADDED_P99_TARGET_MS = 1;
/** An added p99 this far below zero says the run was noisier than the figure. */
const NOISE_MS = 0.5;
const AT_RATE = `at a fixed ${FIXED_RATE.toLocaleString('en')} req/s`;

function describeTarget(r: TargetResult, nginx: TargetResult | undefined): string {
  const reps = r.runs.length > 1 ? ` (${r.runs.map((x) => rate(x.wrk.rps)).join(' / ')})` : '';
  const vsNginx =
    nginx === undefined || r.key === 'nginx-1' ? '' : `, ÷ nginx 1 worker ${fixed(r.rps / nginx.rps)}`;
  const fixedRate = Number.isFinite(r.heyP99)
    ? `; ${AT_RATE}: p99 ${ms(r.heyP99)}${r.key === 'direct' ? '' : ` (${signed(r.addedP99)} over direct)`}`
    : '';
  const errors = r.errors > 0 ? `; ${r.errors} errors` : '';
  return `${rate(r.rps)} req/s${reps}${vsNginx}; wrk p99 ${ms(r.wrkP99)}${fixedRate}${errors}`;
}

function signed(value: number): string {
  return Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}` : 'n/a';
}

/** A row comparing two targets' throughput against `atLeast`; skipped when one was not measured. */
function ratioRow(
  report: Report,
  load: LoadResults,
  figure: string,
  [a, b]: readonly [TargetKey | undefined, TargetKey | undefined],
  atLeast: number,
): void {
  const top = a === undefined ? undefined : load.results.get(a);
  const base = b === undefined ? undefined : load.results.get(b);
  if (top === undefined || base === undefined) {
    const missing = [a, b].find((k) => k === undefined || !load.results.has(k));
    const why = missing === undefined ? 'not measured' : (load.skipped.get(missing) ?? 'not measured');
    report.skip(
      figure,
      `≥ ${atLeast}`,
      `${missing === undefined ? '' : `${TARGET_LABELS[missing]}: `}${why}`,
    );
    return;
  }
  const value = ratio(top.rps, base.rps);
  const noisy = [top, base]
    .filter(isNoisy)
    .map((r) => `${r.label} ${r.runs.map((x) => rate(x.wrk.rps)).join('/')}`);
  const warning = noisy.length === 0 ? '' : `; noisy, repetitions > 30% apart: ${noisy.join(', ')}`;
  report.add(
    figure,
    `${fixed(value)} (${rate(top.rps)} ÷ ${rate(base.rps)} req/s${warning})${cpuRatio(top, base)}`,
    `≥ ${atLeast}`,
    value >= atLeast,
  );
}

function addedP99Row(report: Report, load: LoadResults, key: TargetKey): void {
  const figure = `${TARGET_LABELS[key]}: added p99 over direct ${AT_RATE}`;
  const r = load.results.get(key);
  if (r === undefined || !Number.isFinite(r.addedP99)) {
    report.skip(figure, `≤ ${ADDED_P99_TARGET_MS} ms`, load.skipped.get(key) ?? 'hey missing');
    return;
  }
  const achieved = r.heyRate < FIXED_RATE * 0.95 ? ` — only ${rate(r.heyRate)} req/s reached` : '';
  const measured = `${signed(r.addedP99)} (median of per-repetition differences; median p99 ${ms(r.heyP99)}, direct's ${ms(load.results.get('direct')?.heyP99 ?? Number.NaN)})${achieved}`;
  // A proxy cannot answer faster than its upstream does directly: well below zero, noise decided.
  if (r.addedP99 < -NOISE_MS) {
    report.add(
      figure,
      `${measured}: below direct's, so noise decided it — no verdict`,
      `≤ ${ADDED_P99_TARGET_MS} ms`,
    );
    return;
  }
  report.add(figure, measured, `≤ ${ADDED_P99_TARGET_MS} ms`, r.addedP99 <= ADDED_P99_TARGET_MS);
}

/** What `extra` costs per request over `base`, at saturation on one CPU: 1/rps − 1/rps. */
function costRow(report: Report, load: LoadResults, figure: string, extra: TargetKey, base: TargetKey): void {
  const a = load.results.get(extra);
  const b = load.results.get(base);
  if (a === undefined || b === undefined) return;
  const us = (1 / a.rps - 1 / b.rps) * 1e6;
  const noise = us < 0 ? ': below zero, so noise decided it' : '';
  const cpu = a.cpuUs - b.cpuUs;
  const byCpu = Number.isFinite(cpu) ? `; by the proxy's own CPU time: ${fixed(cpu, 1)} µs per request` : '';
  report.add(
    figure,
    `${fixed(us, 1)} µs per request (1/req/s, proxy and upstream sharing one CPU)${noise}${byCpu}`,
    '',
  );
}

/**
 * The same ratio from the targets' CPU time per request under wrk (base ÷ top: what throughput
 * would be were the proxy alone on its CPU): it holds when other processes take CPU and req/s does not.
 */
function cpuRatio(top: TargetResult, base: TargetResult): string {
  const value = base.cpuUs / top.cpuUs;
  if (!Number.isFinite(value)) return '';
  return `; by CPU per request ${fixed(value)} (${fixed(base.cpuUs, 1)} ÷ ${fixed(top.cpuUs, 1)} µs)`;
}

/** Per target, per repetition: the raw figures, for the results file. */
function targetsTable(load: LoadResults): string {
  const lines = [
    '| target | req/s (median) | per repetition | wrk p50 | wrk p99 | wrk CPU | fixed-rate req/s | fixed-rate p99 | added p99 | hey CPU | ÷ nginx 1 worker | ÷ direct | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const nginx = load.results.get('nginx-1');
  const direct = load.results.get('direct');
  for (const key of TARGET_KEYS) {
    const r = load.results.get(key);
    if (r === undefined) {
      const why = load.skipped.get(key);
      if (why !== undefined) lines.push(`| ${TARGET_LABELS[key]} | skipped: ${why} |${' |'.repeat(11)}`);
      continue;
    }
    lines.push(
      `| ${r.label} | ${rate(r.rps)} | ${r.runs.map((x) => rate(x.wrk.rps)).join(' / ')} | ${ms(r.wrkP50)} | ${ms(r.wrkP99)} | ${percent(r.wrkCpu)} | ${rate(r.heyRate)} | ${ms(r.heyP99)} | ${key === 'direct' ? '0' : signed(r.addedP99)} | ${percent(r.heyCpu)} | ${fixed(ratio(r.rps, nginx?.rps ?? Number.NaN))} | ${fixed(ratio(r.rps, direct?.rps ?? Number.NaN))} | ${r.errors} |`,
    );
  }
  return lines.join('\n');
}

function percent(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(0)}%` : 'n/a';
}

function setupNotes(report: Report, load: LoadResults): void {
  for (const line of load.setup) report.note(line);
}

/** True when a target's repetitions differ by more than 30% (max ÷ min of req/s). */
function isNoisy(r: TargetResult): boolean {
  const rps = r.runs.map((x) => x.wrk.rps);
  return rps.length > 1 && Math.max(...rps) / Math.min(...rps) > 1.3;
}

function spreadNote(report: Report, load: LoadResults): void {
  const spread = [...load.results.values()].filter(isNoisy);
  if (spread.length > 0)
    report.note(
      `repetitions more than 30% apart (a busy machine): ${spread.map((r) => `${r.label} ${r.runs.map((x) => rate(x.wrk.rps)).join('/')}`).join('; ')}`,
    );
}

/** Whether the load generators could have set the pace instead of the targets. */
function generatorNotes(report: Report, load: LoadResults): void {
  const results = [...load.results.values()];
  const hey = Math.max(...results.map((r) => r.heyCpu).filter(Number.isFinite));
  if (Number.isFinite(hey))
    report.note(
      `hey used at most ${percent(hey)} of its CPU at ${FIXED_RATE.toLocaleString('en')} req/s: ${hey < 0.8 ? 'not the bottleneck' : 'close to saturation, p99 figures are suspect'}. Its 50 workers tick together, so requests come in bursts of up to 50 every ${(50_000 / FIXED_RATE).toFixed(1)} ms; direct's p99 is mostly hey's own time for a burst`,
    );
  const busy = results.filter((r) => r.wrkCpu >= 0.9).map((r) => r.label);
  report.note(
    busy.length === 0
      ? `wrk (one thread) used under 90% of its CPU on every target (${percent(load.results.get('direct')?.wrkCpu ?? Number.NaN)} on direct): the targets set the pace`
      : `wrk (one thread) used 90% or more of its CPU on: ${busy.join(', ')} — those figures are bounded by wrk`,
  );
}

/** Best of @fastify/http-proxy and fast-gateway by throughput (what a user would pick instead). */
function bestNodeGateway(load: LoadResults): TargetKey | undefined {
  const candidates = (['fastify', 'fast-gateway'] as const).filter((k) => load.results.has(k));
  return candidates.sort((x, y) => load.results.get(y)!.rps - load.results.get(x)!.rps)[0];
}

export function proxySection(report: Report, load: LoadResults): void {
  const nginx = load.results.get('nginx-1');
  for (const key of LOAD_SECTION_TARGETS.proxy) {
    const r = load.results.get(key);
    if (r !== undefined) report.add(r.label, describeTarget(r, nginx), '');
    else report.skip(TARGET_LABELS[key], '', load.skipped.get(key) ?? 'not measured');
  }
  ratioRow(report, load, 'Turnpike 1 worker ÷ nginx 1 worker', ['turnpike-1', 'nginx-1'], 0.6);
  const best = bestNodeGateway(load);
  ratioRow(
    report,
    load,
    `Turnpike 1 worker ÷ best Node.js gateway (${best === undefined ? 'none measured' : TARGET_LABELS[best]})`,
    ['turnpike-1', best],
    1.3,
  );
  ratioRow(report, load, 'Turnpike 1 worker ÷ bare node:http + undici forwarder', ['turnpike-1', 'bare'], 1);
  addedP99Row(report, load, 'turnpike-1');
  ratioRow(report, load, 'Turnpike 2 workers ÷ nginx 2 workers', ['turnpike-2', 'nginx-2'], 0.6);
  setupNotes(report, load);
  generatorNotes(report, load);
  spreadNote(report, load);
  report.note(
    'the bare forwarder row is the bar BENCH-BASELINE.md sets (≥ 1: faster than node:http + undici)',
  );
  report.extra(targetsTable(load));
}

export function pluginsSection(report: Report, load: LoadResults, quick = false): void {
  ratioRow(
    report,
    load,
    'key-auth + rate-limiting ÷ no plugin (1 worker)',
    ['turnpike-plugins', 'turnpike-1'],
    0.8,
  );
  costRow(report, load, 'key-auth + rate-limiting, cost', 'turnpike-plugins', 'turnpike-1');
  addedP99Row(report, load, 'turnpike-plugins');
  for (const plugin of ['ip-restriction', 'cors', 'request-transformer'] as const) {
    const key = `turnpike-${plugin}` as const;
    ratioRow(report, load, `${plugin} ÷ no plugin (1 worker)`, [key, 'turnpike-1'], 0.85);
    costRow(report, load, `${plugin}, cost`, key, 'turnpike-1');
  }
  setupNotes(report, load);
  report.note(
    'rate-limiting: policy local, limit_by consumer, a limit of 10⁹/minute (never reached); key-auth: the key in the apikey header',
  );
  report.note(
    'ip-restriction, cors, request-transformer: one plugin on the route, configured as TRAFFIC_PLUGIN_CONFIGS (turnpike-nodes.ts) says; each request passes through it',
  );
  reportPluginCompile(report, 10_000, pluginCompileFigures(10_000, quick ? 5 : 20));
}

const MIB = 1024 * 1024;
/** Headroom over the queue's own bytes for what else grows under load (heap, buffers). */
const HTTP_LOG_SLACK = 24 * MIB;

/**
 * http-log's queue is bounded (queue.max_entries): under load to a receiver slower than the
 * traffic, the node grows by at most the entries it may hold, over what the same load grows a
 * node without the plugin.
 */
function httpLogMemoryRow(report: Report, load: LoadResults): void {
  const slow = load.results.get('turnpike-http-log-slow');
  const base = load.results.get('turnpike-1');
  const figure = 'http-log to a slow receiver: memory growth under load, over the node without it';
  if (
    slow?.rssUnderLoad === undefined ||
    slow.rssBefore === undefined ||
    base?.rssUnderLoad === undefined ||
    base.rssBefore === undefined
  ) {
    report.skip(figure, '', 'not measured');
    return;
  }
  const entryBytes = Number(/\((\d+) B each\)/.exec(slow.extra ?? '')?.[1] ?? 2048) || 2048;
  const bound = HTTP_LOG_MAX_ENTRIES * entryBytes + HTTP_LOG_SLACK;
  // Both read right after their own wrk runs (median over repetitions): the same moment of the
  // same load, so what the plugin adds is the difference, garbage not yet collected included.
  const growth = slow.rssUnderLoad - slow.rssBefore - (base.rssUnderLoad - base.rssBefore);
  const requests = slow.runs.reduce((n, r) => n + r.wrk.requests, 0);
  const mib = (bytes: number) => (bytes / MIB).toFixed(0);
  const end = (r: TargetResult) =>
    r.rssAfter === undefined ? '' : `, ${mib(r.rssAfter)} MiB at the end of the run`;
  report.add(
    figure,
    `${(growth / MIB).toFixed(1)} MiB (RSS ${mib(slow.rssBefore)} → ${mib(slow.rssUnderLoad)} MiB right after each load, median over ${requests.toLocaleString('en')} requests${end(slow)}; without the plugin ${mib(base.rssBefore)} → ${mib(base.rssUnderLoad)} MiB${end(base)}); ${slow.extra ?? ''}`,
    `≤ ${(bound / MIB).toFixed(0)} MiB (${HTTP_LOG_MAX_ENTRIES.toLocaleString('en')} queued entries + ${HTTP_LOG_SLACK / MIB} MiB)`,
    growth <= bound,
  );
}

export function observabilitySection(report: Report, load: LoadResults): void {
  ratioRow(
    report,
    load,
    'access log on (Kong format, a file) ÷ off (1 worker)',
    ['turnpike-1', 'turnpike-nolog'],
    0.95,
  );
  costRow(report, load, 'access log, cost', 'turnpike-1', 'turnpike-nolog');
  ratioRow(report, load, 'prometheus ÷ without (1 worker)', ['turnpike-prometheus', 'turnpike-1'], 0.9);
  costRow(report, load, 'prometheus, cost', 'turnpike-prometheus', 'turnpike-1');
  addedP99Row(report, load, 'turnpike-prometheus');
  ratioRow(
    report,
    load,
    'http-log to a slow receiver ÷ without (1 worker)',
    ['turnpike-http-log-slow', 'turnpike-1'],
    0.9,
  );
  httpLogMemoryRow(report, load);
  ratioRow(
    report,
    load,
    'opentelemetry ÷ without (1 worker, every request sampled)',
    ['turnpike-opentelemetry', 'turnpike-1'],
    0.8,
  );
  costRow(report, load, 'opentelemetry, cost', 'turnpike-opentelemetry', 'turnpike-1');
  setupNotes(report, load);
  report.note(
    'every Turnpike target but "proxy_access_log = off" writes Kong’s default access log (logs/access.log in its prefix); prometheus: a global instance with per_consumer, status_code, latency, bandwidth and upstream_health metrics on; opentelemetry: a global instance, sampling_rate 1, exporting OTLP/HTTP protobuf to the bench upstream',
  );
  report.note(
    `http-log: on the route, Kong's queue defaults (one entry per delivery, concurrency 1) with max_entries ${HTTP_LOG_MAX_ENTRIES.toLocaleString('en')}, to a receiver in the benchmark process answering each delivery after ${SLOW_RECEIVER_MS} ms: the queue fills and drops the oldest entries while the proxy keeps its pace. The memory row compares RSS growth read right after each wrk run of the two targets (medians), which includes garbage V8 has not collected yet: a queue that held every entry would grow by about 1 KiB per request, 6 MiB over 6,000 requests past the bound`,
  );
}

export function routerSection(report: Report, load: LoadResults, quick: boolean): void {
  ratioRow(report, load, '10,000 routes ÷ 1 route (1 worker)', ['turnpike-10k', 'turnpike-1'], 0.9);
  costRow(report, load, '10,000 routes, cost', 'turnpike-10k', 'turnpike-1');
  addedP99Row(report, load, 'turnpike-10k');
  setupNotes(report, load);
  report.note(
    '10,000 routes: 50% host + prefix, 25% prefix only, 15% wildcard host, 10% regex (route-mix.ts); the request matches the last route, a regex one',
  );
  reportRouterMatch(report, routerMatchFigures([1, 100, 10_000], quick ? 100 : 300));
}
