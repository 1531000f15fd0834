/**
 * The prometheus plugin's metrics in one proxy worker, with Kong's names, labels and buckets
 * (kong/plugins/prometheus/exporter.lua, prefix `kong_`). Per request only counter increments and
 * histogram observations, on label sets resolved once per route and version; everything else
 * (connections, upstream health, memory) is read when `/metrics` is scraped. The main process
 * aggregates every worker's registry (`../workers`, prom-client's AggregatorRegistry.aggregate).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { logDrops } from '@turnpike/shared/plugins';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { upstreamHealth } from '../balancer/index.ts';
import type { RequestEntry, RequestObserver } from '../proxy/index.ts';
import type { RuntimeSource } from '../runtime/index.ts';
import { latenciesOf, loggedStatus } from './access-log.ts';
import { CounterFamily, type CounterSeries, HistogramFamily, type HistogramSeries } from './fast-series.ts';
import { NO_PROMETHEUS, type PrometheusConfig, type PrometheusSwitches } from './prometheus-config.ts';
import { requestBytes, responseBytes } from './wire-bytes.ts';

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

/** One route's series in one version: labels resolved once. */
interface RouteSeries {
  readonly service: string;
  readonly route: string;
  readonly switches: PrometheusSwitches;
  /** The latency histograms: only with `latency_metrics` (an unused series is never exposed). */
  readonly kong: HistogramSeries | undefined;
  readonly upstream: HistogramSeries | undefined;
  readonly request: HistogramSeries | undefined;
  /** `code|source|consumer` → the requests counter's series. */
  readonly statuses: Map<string, CounterSeries>;
  /** `direction|consumer` → the bandwidth counter's series. */
  readonly bandwidth: Map<string, CounterSeries>;
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

/** What the stream proxy tells of a closed connection. */
export interface StreamClosed {
  readonly route: { readonly id: string; readonly name?: string | null };
  readonly service: { readonly name?: string | null; readonly host: string } | undefined;
  readonly status: number;
  readonly sessionMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
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
  readonly #requests: CounterFamily;
  readonly #bandwidth: CounterFamily;
  readonly #kongLatency: HistogramFamily;
  readonly #upstreamLatency: HistogramFamily;
  readonly #requestLatency: HistogramFamily;
  readonly #sessions: CounterFamily;
  readonly #sessionDuration: HistogramFamily;

  constructor(options: KongMetricsOptions) {
    const registers = [this.registry];
    const nodeId = options.nodeId;
    const stats = this.#connections;
    const registry = this.registry;
    this.#requests = new CounterFamily(
      registry,
      'kong_http_requests_total',
      'HTTP status codes per consumer/service/route in Kong',
    );
    this.#kongLatency = new HistogramFamily(
      registry,
      'kong_kong_latency_ms',
      'Latency added by Kong and enabled plugins for each service/route in Kong',
      KONG_LATENCY_BUCKETS,
    );
    this.#upstreamLatency = new HistogramFamily(
      registry,
      'kong_upstream_latency_ms',
      'Latency added by upstream response for each service/route in Kong',
      UPSTREAM_LATENCY_BUCKETS,
    );
    this.#requestLatency = new HistogramFamily(
      registry,
      'kong_request_latency_ms',
      'Total latency incurred during requests for each service/route in Kong',
      UPSTREAM_LATENCY_BUCKETS,
    );
    this.#sessions = new CounterFamily(
      registry,
      'kong_stream_sessions_total',
      'Stream status codes per service/route in Kong',
    );
    this.#sessionDuration = new HistogramFamily(
      registry,
      'kong_session_duration_ms',
      'latency incurred in stream session for each service/route in Kong',
      UPSTREAM_LATENCY_BUCKETS,
    );
    this.#bandwidth = new CounterFamily(
      registry,
      'kong_bandwidth_bytes',
      'Total bandwidth (ingress/egress) throughput in bytes',
    );
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
    new Gauge({
      name: 'turnpike_log_entries_dropped',
      help: 'Log entries the logging plugins dropped (queue full, or out of retries), per plugin',
      labelNames: ['node_id', 'plugin'],
      registers,
      collect() {
        for (const [plugin, count] of logDrops()) this.set({ node_id: nodeId, plugin }, count);
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
    this.#done(entry, req, loggedStatus(res), responseBytes(res, entry.bodyBytes));
  }

  /** A WebSocket handshake's connection closed: counted as Kong counts it (nginx logs it as a request). */
  upgradeDone(entry: RequestEntry, req: IncomingMessage, status: number): void {
    this.#done(entry, req, status, entry.bodyBytes);
  }

  #done(entry: RequestEntry, req: IncomingMessage, status: number, egress: number): void {
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
      const source = entry.upstreamStatus !== 0 && status === entry.upstreamStatus ? 'service' : 'kong';
      const key = `${status}|${source}|${consumer}`;
      let counter = series.statuses.get(key);
      if (counter === undefined) {
        const labels = {
          service: series.service,
          route: series.route,
          code: String(status),
          source,
          workspace: WORKSPACE,
          consumer,
        };
        counter = this.#requests.series(`${series.service}|${series.route}|${key}`, labels);
        series.statuses.set(key, counter);
      }
      counter.value++;
    }
    if (series.request !== undefined) {
      const latencies = latenciesOf(entry);
      series.request.observe(latencies.request);
      if (latencies.proxy >= 0) series.upstream!.observe(latencies.proxy);
      series.kong!.observe(latencies.kong);
    }
    if (switches.bandwidth_metrics) {
      this.#bandwidthOf(series, 'ingress', consumer).value += requestBytes(req);
      this.#bandwidthOf(series, 'egress', consumer).value += egress;
    }
  }

  /**
   * A stream connection closed (Kong's stream log phase): `kong_stream_sessions_total` by status,
   * `kong_session_duration_ms`, and the bytes in `kong_bandwidth_bytes` (consumer "": streams
   * have none; Kong's stream series omit the label, one family here carries both subsystems).
   */
  streamClosed(done: StreamClosed): void {
    if (!this.#config.enabled) return;
    const route = done.route;
    let series = this.#series.get(route.id);
    if (series === undefined) {
      const switches = this.#config.byRoute.get(route.id);
      if (switches === undefined) return;
      series = this.#seriesOf(route, done.service, switches);
    }
    const switches = series.switches;
    const key = `${series.service}|${series.route}`;
    if (switches.status_code_metrics) {
      const code = String(done.status);
      this.#sessions.series(`${key}|${code}`, {
        service: series.service,
        route: series.route,
        code,
        source: done.status === 200 ? 'service' : 'kong',
        workspace: WORKSPACE,
      }).value++;
    }
    if (switches.latency_metrics) {
      this.#sessionDuration
        .series(key, { service: series.service, route: series.route, workspace: WORKSPACE })
        .observe(done.sessionMs);
    }
    if (switches.bandwidth_metrics) {
      this.#bandwidthOf(series, 'ingress', '').value += done.bytesIn;
      this.#bandwidthOf(series, 'egress', '').value += done.bytesOut;
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
    const labels = { service: serviceLabel, route: routeLabel, workspace: WORKSPACE };
    const key = `${serviceLabel}|${routeLabel}`;
    const latency = switches.latency_metrics;
    const series: RouteSeries = {
      service: serviceLabel,
      route: routeLabel,
      switches,
      kong: latency ? this.#kongLatency.series(key, labels) : undefined,
      upstream: latency ? this.#upstreamLatency.series(key, labels) : undefined,
      request: latency ? this.#requestLatency.series(key, labels) : undefined,
      statuses: new Map(),
      bandwidth: new Map(),
    };
    this.#series.set(route.id, series);
    return series;
  }

  #bandwidthOf(series: RouteSeries, direction: 'ingress' | 'egress', consumer: string): CounterSeries {
    const key = `${direction}|${consumer}`;
    let counter = series.bandwidth.get(key);
    if (counter === undefined) {
      const labels = {
        service: series.service,
        route: series.route,
        direction,
        workspace: WORKSPACE,
        consumer,
      };
      counter = this.#bandwidth.series(`${series.service}|${series.route}|${key}`, labels);
      series.bandwidth.set(key, counter);
    }
    return counter;
  }
}
