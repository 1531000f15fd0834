/**
 * The prometheus plugin's metrics in one proxy worker, with Kong's names, labels and buckets
 * (kong/plugins/prometheus/exporter.lua, prefix `kong_`). Per request only counter increments and
 * histogram observations, on label sets resolved once per route and version; everything else
 * (connections, upstream health, memory) is read when `/metrics` is scraped. The main process
 * aggregates every worker's registry (`../workers`, prom-client's AggregatorRegistry.aggregate).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { upstreamHealth } from '../balancer/index.ts';
import type { RequestEntry, RequestObserver } from '../proxy/index.ts';
import type { RuntimeSource } from '../runtime/index.ts';
import { latenciesOf, loggedStatus } from './access-log.ts';
import { NO_PROMETHEUS, type PrometheusConfig, type PrometheusSwitches } from './prometheus-config.ts';

/** kong/plugins/prometheus/exporter.lua KONG_LATENCY_BUCKETS and UPSTREAM_LATENCY_BUCKETS. */
export const KONG_LATENCY_BUCKETS = [
  1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000,
];
export const UPSTREAM_LATENCY_BUCKETS = [
  25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000,
];

/** Kong CE's one workspace. */
const WORKSPACE = 'default';
const SUBSYSTEM = 'http';
const HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

/** One route's series in one version: labels resolved once. */
interface RouteSeries {
  readonly service: string;
  readonly route: string;
  readonly switches: PrometheusSwitches;
  readonly kong: HistogramChild;
  readonly upstream: HistogramChild;
  readonly request: HistogramChild;
  /** `code|source|consumer` → the requests counter's child. */
  readonly statuses: Map<string, CounterChild>;
  /** `direction|consumer` → the bandwidth counter's child. */
  readonly bandwidth: Map<string, CounterChild>;
}

const kCounted = Symbol('turnpike.metrics.counted');

/** Live connection counts of this worker's listeners (nginx's stub_status, as Kong reads it). */
class Connections {
  accepted = 0;
  active = 0;
  requests = 0;
  inFlight = 0;
}

function onSocketClose(this: Socket & { [kCounted]?: Connections }): void {
  const counted = this[kCounted];
  if (counted !== undefined) counted.active--;
}

export interface KongMetricsOptions {
  readonly nodeId: string;
  /** The worker's Runtime, read at scrape time for upstream health. */
  readonly runtime: RuntimeSource;
}

export class KongProxyMetrics implements RequestObserver {
  readonly registry = new Registry();
  readonly #connections = new Connections();
  #config: PrometheusConfig = NO_PROMETHEUS;
  #series = new Map<string, RouteSeries>();
  readonly #requests: Counter<string>;
  readonly #bandwidth: Counter<string>;
  readonly #kongLatency: Histogram<string>;
  readonly #upstreamLatency: Histogram<string>;
  readonly #requestLatency: Histogram<string>;

  constructor(options: KongMetricsOptions) {
    const registers = [this.registry];
    const nodeId = options.nodeId;
    const stats = this.#connections;
    this.#requests = new Counter({
      name: 'kong_http_requests_total',
      help: 'HTTP status codes per consumer/service/route in Kong',
      labelNames: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
      registers,
    });
    this.#kongLatency = new Histogram({
      name: 'kong_kong_latency_ms',
      help: 'Latency added by Kong and enabled plugins for each service/route in Kong',
      labelNames: ['service', 'route', 'workspace'],
      buckets: KONG_LATENCY_BUCKETS,
      registers,
    });
    this.#upstreamLatency = new Histogram({
      name: 'kong_upstream_latency_ms',
      help: 'Latency added by upstream response for each service/route in Kong',
      labelNames: ['service', 'route', 'workspace'],
      buckets: UPSTREAM_LATENCY_BUCKETS,
      registers,
    });
    this.#requestLatency = new Histogram({
      name: 'kong_request_latency_ms',
      help: 'Total latency incurred during requests for each service/route in Kong',
      labelNames: ['service', 'route', 'workspace'],
      buckets: UPSTREAM_LATENCY_BUCKETS,
      registers,
    });
    this.#bandwidth = new Counter({
      name: 'kong_bandwidth_bytes',
      help: 'Total bandwidth (ingress/egress) throughput in bytes',
      labelNames: ['service', 'route', 'direction', 'workspace', 'consumer'],
      registers,
    });
    new Gauge({
      name: 'kong_nginx_connections_total',
      help: 'Number of connections by subsystem',
      labelNames: ['node_id', 'subsystem', 'state'],
      registers,
      collect() {
        const waiting = Math.max(0, stats.active - stats.inFlight);
        const values: [string, number][] = [
          ['accepted', stats.accepted],
          ['handled', stats.accepted],
          ['total', stats.requests],
          ['active', stats.active],
          // node reads a request's head before the proxy sees it: such a connection counts as waiting.
          ['reading', 0],
          ['writing', stats.inFlight],
          ['waiting', waiting],
        ];
        for (const [state, value] of values)
          this.set({ node_id: nodeId, subsystem: SUBSYSTEM, state }, value);
      },
    });
    new Gauge({
      name: 'kong_nginx_requests_total',
      help: 'Number of requests total',
      labelNames: ['node_id', 'subsystem'],
      registers,
      collect() {
        this.set({ node_id: nodeId, subsystem: SUBSYSTEM }, stats.requests);
      },
    });
    const pid = String(process.pid);
    new Gauge({
      name: 'kong_memory_workers_lua_vms_bytes',
      help: 'Allocated bytes in worker Lua VM (here: the proxy worker’s V8 heap in use)',
      labelNames: ['node_id', 'pid', 'kong_subsystem'],
      registers,
      collect() {
        this.set({ node_id: nodeId, pid, kong_subsystem: SUBSYSTEM }, process.memoryUsage().heapUsed);
      },
    });
    const metrics = this;
    new Gauge({
      name: 'kong_upstream_target_health',
      help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
      labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'],
      registers,
      // Every worker checks the same targets: the node reports one value, not their sum.
      aggregator: 'max',
      collect() {
        this.reset();
        if (!metrics.#config.upstreamHealth) return;
        for (const balancer of options.runtime.current.upstreams.values()) {
          const health = upstreamHealth(balancer);
          for (const target of health.data) {
            const targetName = `${target.data.host}:${target.data.port}`;
            const addresses = target.data.addresses;
            if (addresses.length === 0) {
              for (const state of HEALTH_STATES) {
                this.set(
                  {
                    upstream: balancer.spec.name,
                    target: targetName,
                    address: '',
                    state,
                    subsystem: SUBSYSTEM,
                  },
                  state === 'dns_error' ? 1 : 0,
                );
              }
              continue;
            }
            for (const address of addresses) {
              const current = address.health.toLowerCase();
              for (const state of HEALTH_STATES) {
                this.set(
                  {
                    upstream: balancer.spec.name,
                    target: targetName,
                    address: `${address.ip}:${address.port}`,
                    state,
                    subsystem: SUBSYSTEM,
                  },
                  state === current ? 1 : 0,
                );
              }
            }
          }
        }
      },
    });
    // Node's process metrics (CPU, memory, event loop, GC), per worker, summed by the aggregator.
    collectDefaultMetrics({ register: this.registry });
  }

  /** A new configuration version: which routes are measured, with which switches. */
  configure(config: PrometheusConfig): void {
    this.#config = config;
    this.#series = new Map();
  }

  connectionOpened(socket: Socket): void {
    const stats = this.#connections;
    stats.accepted++;
    stats.active++;
    (socket as Socket & { [kCounted]?: Connections })[kCounted] = stats;
    socket.on('close', onSocketClose);
  }

  requestStarted(): void {
    this.#connections.requests++;
    this.#connections.inFlight++;
  }

  requestDone(entry: RequestEntry, req: IncomingMessage, res: ServerResponse): void {
    this.#connections.inFlight--;
    const prepared = entry.prepared;
    // As Kong's exporter: a request no route matched is not measured.
    if (prepared === undefined || !this.#config.enabled) return;
    const route = prepared.found.route;
    let series = this.#series.get(route.id);
    if (series === undefined) {
      const switches = this.#config.byRoute.get(route.id);
      if (switches === undefined) return;
      series = this.#seriesOf(route, prepared.found.service, switches);
    }
    const switches = series.switches;
    const consumerId = switches.per_consumer ? prepared.consumerId : undefined;
    const consumer = consumerId === undefined ? '' : (this.#config.consumers.get(consumerId) ?? '');
    if (switches.status_code_metrics) {
      const status = loggedStatus(res);
      const source = entry.upstreamStatus !== 0 && status === entry.upstreamStatus ? 'service' : 'kong';
      const key = `${status}|${source}|${consumer}`;
      let child = series.statuses.get(key);
      if (child === undefined) {
        child = this.#requests.labels(
          series.service,
          series.route,
          String(status),
          source,
          WORKSPACE,
          consumer,
        );
        series.statuses.set(key, child);
      }
      child.inc();
    }
    if (switches.latency_metrics) {
      const latencies = latenciesOf(entry);
      series.request.observe(latencies.request);
      if (latencies.proxy >= 0) series.upstream.observe(latencies.proxy);
      series.kong.observe(latencies.kong);
    }
    if (switches.bandwidth_metrics) {
      this.#bandwidthOf(series, 'ingress', consumer).inc(requestSize(req));
      this.#bandwidthOf(series, 'egress', consumer).inc(responseSize(res, entry));
    }
  }

  #seriesOf(
    route: { readonly id: string; readonly name?: string | null },
    service: { readonly name?: string | null; readonly host: string } | undefined,
    switches: PrometheusSwitches,
  ): RouteSeries {
    // Kong's labels: the service's name, else its host; the route's name, else its id.
    const serviceLabel = service === undefined ? '' : (service.name ?? service.host);
    const routeLabel = route.name ?? route.id;
    const series: RouteSeries = {
      service: serviceLabel,
      route: routeLabel,
      switches,
      kong: this.#kongLatency.labels(serviceLabel, routeLabel, WORKSPACE),
      upstream: this.#upstreamLatency.labels(serviceLabel, routeLabel, WORKSPACE),
      request: this.#requestLatency.labels(serviceLabel, routeLabel, WORKSPACE),
      statuses: new Map(),
      bandwidth: new Map(),
    };
    this.#series.set(route.id, series);
    return series;
  }

  #bandwidthOf(series: RouteSeries, direction: 'ingress' | 'egress', consumer: string): CounterChild {
    const key = `${direction}|${consumer}`;
    let child = series.bandwidth.get(key);
    if (child === undefined) {
      child = this.#bandwidth.labels(series.service, series.route, direction, WORKSPACE, consumer);
      series.bandwidth.set(key, child);
    }
    return child;
  }
}

/** nginx's $request_length: request line, headers and body as received. */
function requestSize(req: IncomingMessage): number {
  let bytes = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > 0 ? bytes + length : bytes;
}

/** nginx's $bytes_sent: the response head and body. */
function responseSize(res: ServerResponse, entry: RequestEntry): number {
  const head = (res as unknown as { _header?: string | null })._header;
  return (typeof head === 'string' ? head.length : 0) + entry.bodyBytes;
}
