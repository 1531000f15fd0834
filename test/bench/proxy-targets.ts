/**
 * What the proxy, plugins and router sections put load on, side by side on one upstream:
 * direct, nginx (1 and 2 workers), the bare node:http + undici forwarder, @fastify/http-proxy,
 * fast-gateway, and Turnpike data planes (1 and 2 workers, 10,000 routes, key-auth +
 * rate-limiting). Every target answers the same upstream body; each is started once per run
 * and checked to answer 200 before any load.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import type { ClusterCerts } from '../helpers/cluster.ts';
import type { LoadRequest } from './load.ts';
import { startNginx } from './nginx.ts';
import { ALL_CPUS, type ListeningChild, spawnListening } from './processes.ts';
import type { Tools } from './tools.ts';
import { BENCH_API_KEY, benchConfig, startCachedDataPlane, type TrafficPlugin } from './turnpike-nodes.ts';

export const TARGET_KEYS = [
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
  'turnpike-nolog',
  'turnpike-prometheus',
  'turnpike-opentelemetry',
  'turnpike-ip-restriction',
  'turnpike-cors',
  'turnpike-request-transformer',
  'turnpike-http-log-slow',
] as const;
export type TargetKey = (typeof TARGET_KEYS)[number];

export const TARGET_LABELS: Readonly<Record<TargetKey, string>> = {
  direct: 'direct to the upstream (the limit)',
  'nginx-1': 'nginx, 1 worker',
  'nginx-2': 'nginx, 2 workers',
  bare: 'bare node:http + undici forwarder',
  fastify: '@fastify/http-proxy 11',
  'fast-gateway': 'fast-gateway 5',
  'turnpike-1': 'Turnpike, 1 worker, 1 route',
  'turnpike-2': 'Turnpike, 2 workers, 1 route',
  'turnpike-10k': 'Turnpike, 1 worker, 10,000 routes',
  'turnpike-plugins': 'Turnpike, 1 worker, key-auth + rate-limiting',
  'turnpike-nolog': 'Turnpike, 1 worker, proxy_access_log = off',
  'turnpike-prometheus': 'Turnpike, 1 worker, prometheus (every switch on)',
  'turnpike-opentelemetry': 'Turnpike, 1 worker, opentelemetry (sampling_rate 1)',
  'turnpike-ip-restriction': 'Turnpike, 1 worker, ip-restriction',
  'turnpike-cors': 'Turnpike, 1 worker, cors',
  'turnpike-request-transformer': 'Turnpike, 1 worker, request-transformer',
  'turnpike-http-log-slow': 'Turnpike, 1 worker, http-log to a slow receiver',
};

/** How long the http-log target's receiver takes to answer each delivery. */
export const SLOW_RECEIVER_MS = 200;
/** The http-log target's queue.max_entries (Kong: 10,000): small enough that every run passes it. */
export const HTTP_LOG_MAX_ENTRIES = 1_000;

/** The CPU the proxies and the upstream share, and the load generator's own. */
export const PROXY_CPU = '0';
export const LOAD_CPU = availableParallelism() > 1 ? String(availableParallelism() - 1) : undefined;

/** Targets with two workers get every CPU (the load generator shares one); the rest the proxy CPU. */
export function targetCpus(key: TargetKey): string {
  return key === 'nginx-2' || key === 'turnpike-2' ? ALL_CPUS : PROXY_CPU;
}

/** Every request carries the plugins target's key: the same bytes reach every target. */
const HEADERS = { apikey: BENCH_API_KEY };

export interface StartedTarget extends AsyncDisposable {
  readonly request: LoadRequest;
  /** The root of its process tree, to pin; undefined for `direct` (the upstream is pinned apart). */
  readonly pid: number | undefined;
  /** What the target measured besides the load (the slow receiver's deliveries). */
  readonly extra?: () => string;
}

export interface TargetFixture {
  readonly tools: Tools;
  readonly upstreamPort: number;
  certs(): Promise<ClusterCerts>;
}

function fromChild(child: ListeningChild, path = '/bench'): StartedTarget {
  return {
    request: { url: `http://127.0.0.1:${child.port}${path}`, headers: HEADERS },
    pid: child.child.pid,
    [Symbol.asyncDispose]: () => child[Symbol.asyncDispose](),
  };
}

const GATEWAYS = new URL('./gateways.ts', import.meta.url).pathname;

async function startGateway(role: 'bare' | 'fastify' | 'fast-gateway', fixture: TargetFixture) {
  return fromChild(await spawnListening(process.execPath, [GATEWAYS, role, String(fixture.upstreamPort)]));
}

async function startNginxProxy(workers: number, fixture: TargetFixture): Promise<StartedTarget> {
  const nginx = fixture.tools.get('nginx');
  if (nginx === undefined) throw new Error('nginx missing');
  const running = await startNginx(nginx.path, {
    kind: 'proxy',
    upstreamPort: fixture.upstreamPort,
    workers,
  });
  return {
    request: { url: `http://127.0.0.1:${running.port}/bench`, headers: HEADERS },
    pid: running.child.pid,
    [Symbol.asyncDispose]: () => running[Symbol.asyncDispose](),
  };
}

async function startTurnpike(
  fixture: TargetFixture,
  options: {
    workers: number;
    routes: number;
    plugins: boolean;
    prometheus?: boolean;
    opentelemetry?: boolean;
    accessLog?: boolean;
    trafficPlugin?: TrafficPlugin;
    pluginConfig?: Record<string, unknown>;
  },
): Promise<StartedTarget> {
  const config = await benchConfig({ upstreamPort: fixture.upstreamPort, ...options });
  // Kong's default, as every other Turnpike target: the access log in the prefix.
  const env: Record<string, string> = options.accessLog === false ? { TURNPIKE_PROXY_ACCESS_LOG: 'off' } : {};
  // BENCH_CPU_PROF=<dir>: every Turnpike process writes a --cpu-prof profile there when it stops.
  const profileDir = process.env.BENCH_CPU_PROF;
  if (profileDir !== undefined) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
  const dp = await startCachedDataPlane(await fixture.certs(), config.content, options.workers, env);
  const headers: Record<string, string> = { ...HEADERS };
  if (config.request.host !== undefined) headers.host = config.request.host;
  return {
    request: { url: `${dp.node.proxyUrl}${config.request.path}`, headers },
    pid: dp.node.child.pid,
    [Symbol.asyncDispose]: () => dp[Symbol.asyncDispose](),
  };
}

/** Starts one target; the caller checks it answers and disposes it. */
export async function startTarget(key: TargetKey, fixture: TargetFixture): Promise<StartedTarget> {
  switch (key) {
    case 'direct':
      return {
        request: { url: `http://127.0.0.1:${fixture.upstreamPort}/bench`, headers: HEADERS },
        pid: undefined,
        [Symbol.asyncDispose]: async () => {},
      };
    case 'nginx-1':
      return startNginxProxy(1, fixture);
    case 'nginx-2':
      return startNginxProxy(2, fixture);
    case 'bare':
    case 'fastify':
    case 'fast-gateway':
      return startGateway(key, fixture);
    case 'turnpike-1':
      return startTurnpike(fixture, { workers: 1, routes: 1, plugins: false });
    case 'turnpike-2':
      return startTurnpike(fixture, { workers: 2, routes: 1, plugins: false });
    case 'turnpike-10k':
      return startTurnpike(fixture, { workers: 1, routes: 10_000, plugins: false });
    case 'turnpike-plugins':
      return startTurnpike(fixture, { workers: 1, routes: 1, plugins: true });
    case 'turnpike-nolog':
      return startTurnpike(fixture, { workers: 1, routes: 1, plugins: false, accessLog: false });
    case 'turnpike-prometheus':
      return startTurnpike(fixture, { workers: 1, routes: 1, plugins: false, prometheus: true });
    case 'turnpike-opentelemetry':
      return startTurnpike(fixture, { workers: 1, routes: 1, plugins: false, opentelemetry: true });
    case 'turnpike-ip-restriction':
    case 'turnpike-cors':
    case 'turnpike-request-transformer':
      return startTurnpike(fixture, {
        workers: 1,
        routes: 1,
        plugins: false,
        trafficPlugin: key.slice('turnpike-'.length) as TrafficPlugin,
      });
    case 'turnpike-http-log-slow':
      return startSlowHttpLog(fixture);
  }
}

/**
 * A log receiver that takes SLOW_RECEIVER_MS to answer every delivery, in this process (it mostly
 * sleeps): http-log's queue fills to its bound while the proxy keeps its pace.
 */
async function startSlowHttpLog(fixture: TargetFixture): Promise<StartedTarget> {
  let deliveries = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      deliveries++;
      setTimeout(() => res.end('ok'), SLOW_RECEIVER_MS);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  const target = await startTurnpike(fixture, {
    workers: 1,
    routes: 1,
    plugins: false,
    trafficPlugin: 'http-log',
    pluginConfig: {
      http_endpoint: `http://127.0.0.1:${port}/log`,
      queue: { max_entries: HTTP_LOG_MAX_ENTRIES },
    },
  });
  return {
    ...target,
    extra: () =>
      `the receiver got ${deliveries.toLocaleString('en')} entries (${deliveries === 0 ? 0 : Math.round(bytes / deliveries)} B each), ${SLOW_RECEIVER_MS} ms per delivery`,
    async [Symbol.asyncDispose]() {
      await target[Symbol.asyncDispose]();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Throws unless the target answers its request with 200 (a 404 or 401 would measure an error path). */
export async function checkAnswers(key: TargetKey, request: LoadRequest): Promise<void> {
  const res = await fetch(request.url, { headers: request.headers });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${key} answered ${res.status}: ${body.slice(0, 200)}`);
}
