/**
 * opentelemetry (Kong 3.10 kong/plugins/opentelemetry/{handler,traces}.lua): W3C `traceparent`
 * propagation (extracted from the client, injected to the service with the balancer span as the
 * parent) and, for a sampled trace, the request's spans — `kong` (server, the whole request) and
 * one `kong.balancer` (client) per upstream try — exported as OTLP/HTTP protobuf to
 * `traces_endpoint` through a bounded per-worker queue (the SDK's LogQueue; a full queue drops
 * spans, counted in `turnpike_log_entries_dropped{plugin="opentelemetry"}`, with a warning).
 * Nothing is awaited by the request.
 */
import {
  countLogDrops,
  definePluginHandler,
  type Logger,
  LogQueue,
  LogQueues,
  pluginQueueParams,
  type QueueConfig,
  type SerializedRecord,
} from '@turnpike/plugin-sdk';
import { OtlpExporter } from './exporter.ts';
import { encodeTraces, type QueuedSpan } from './otlp.ts';
import type { OpenTelemetryConfig } from './schema.ts';
import { formatTraceparent, newId, parseTraceparent } from './traceparent.ts';

const VERSION = '3.10.0';
/** Kong's tracing_sampling_rate default (kong.conf), used when `sampling_rate` is not set. */
const DEFAULT_SAMPLING_RATE = 0.01;

interface Compiled {
  readonly name: string;
  readonly endpoint: string;
  readonly queue: QueueConfig;
  readonly config: OpenTelemetryConfig;
  readonly resource: Readonly<Record<string, string>>;
  readonly samplingRate: number;
  readonly extract: boolean;
  readonly inject: boolean;
  readonly clear: readonly string[];
  readonly warnings: readonly string[];
}

/** The request's trace, kept from access to log. */
export interface Trace {
  readonly traceId: string;
  readonly rootSpanId: string;
  readonly parentSpanId: string | undefined;
  readonly balancerSpanId: string;
  readonly sampled: boolean;
}

const TRACE = 'opentelemetry:trace';
/**
 * Each queued entry is one request's spans, encoded when its batch is exported; their JSON when
 * `queue.max_bytes` bounds the queue (it counts the bytes of strings, as Kong's).
 */
type SpansEntry = readonly QueuedSpan[] | string;
const queues = new LogQueues<{ readonly queue: LogQueue<SpansEntry> }>();

function spansOfEntry(entry: SpansEntry): readonly QueuedSpan[] {
  return typeof entry === 'string' ? (JSON.parse(entry) as QueuedSpan[]) : entry;
}

function countDrops(count: number): void {
  countLogDrops('opentelemetry', count);
}

function queueFor(compiled: Compiled, log: Logger): LogQueue<SpansEntry> {
  return queues.get(compiled.name, () => {
    const exporter = new OtlpExporter({ ...compiled.config, endpoint: compiled.endpoint });
    const resource = compiled.resource;
    const queue = new LogQueue<SpansEntry>(
      compiled.name,
      compiled.queue,
      (entries) => exporter.send(encodeTraces(entries.flatMap(spansOfEntry), resource, VERSION)),
      log,
      countDrops,
    );
    for (const warning of compiled.warnings) log.warn({ queue: compiled.name }, warning);
    return { queue };
  }).queue;
}

function traceOf(shared: Map<string, unknown>): Trace | undefined {
  return shared.get(TRACE) as Trace | undefined;
}

export const handler = definePluginHandler<OpenTelemetryConfig, Compiled>({
  name: 'opentelemetry',
  version: VERSION,
  // Kong's PRIORITY.
  priority: 14,
  sdkVersion: '1.1.0',
  configure(config) {
    const endpoint = (config.traces_endpoint ?? config.endpoint) as string;
    const { queue, warnings } = pluginQueueParams(config);
    const resource: Record<string, string> = {
      'service.name': 'kong',
      'service.version': VERSION,
      'service.instance.id': String(process.pid),
      ...(config.resource_attributes ?? {}),
    };
    const propagation = config.propagation;
    // header_type (deprecated): `ignore` extracts nothing; propagation.extract, when set, decides.
    const extract =
      propagation.extract != null ? propagation.extract.length > 0 : config.header_type !== 'ignore';
    const inject = propagation.inject != null ? propagation.inject.length > 0 : true;
    const name = JSON.stringify([
      endpoint,
      config.headers,
      config.connect_timeout,
      config.send_timeout,
      config.read_timeout,
      queue,
      resource,
    ]);
    return {
      name,
      endpoint,
      queue,
      config,
      resource,
      samplingRate: config.sampling_rate ?? DEFAULT_SAMPLING_RATE,
      extract,
      inject,
      clear: propagation.clear ?? [],
      warnings,
    };
  },

  access(ctx, compiled) {
    const parent = compiled.extract ? parseTraceparent(ctx.request.header('traceparent')) : undefined;
    // Kong's sampler is parent-based: a sampled parent is sampled, else sampling_rate decides.
    const sampled =
      parent?.sampled === true || (compiled.samplingRate > 0 && Math.random() < compiled.samplingRate);
    const trace: Trace = {
      traceId: parent?.traceId ?? newId(16),
      rootSpanId: newId(8),
      parentSpanId: parent?.spanId,
      balancerSpanId: newId(8),
      sampled,
    };
    ctx.shared.set(TRACE, trace);
    for (const name of compiled.clear) ctx.clearUpstreamHeader(name);
    if (compiled.inject)
      ctx.setUpstreamHeader('traceparent', formatTraceparent(trace.traceId, trace.balancerSpanId, sampled));
  },

  header(ctx, compiled) {
    const name = compiled.config.http_response_header_for_traceid;
    const trace = traceOf(ctx.shared);
    if (name != null && trace !== undefined) ctx.setResponseHeader(name, trace.traceId);
  },

  log(ctx, compiled) {
    const trace = traceOf(ctx.shared);
    if (trace === undefined || !trace.sampled) return;
    const spans = spansOf(ctx.serialize(), trace, ctx.request.header('host'), ctx.request.httpVersion);
    queueFor(compiled, ctx.log).enqueue(compiled.queue.max_bytes === null ? spans : JSON.stringify(spans));
  },
});

/** Kong's request span and balancer spans, from the request's log record. */
export function spansOf(
  record: SerializedRecord,
  trace: Trace,
  host: string | undefined,
  httpVersion: string,
): QueuedSpan[] {
  const start = record.started_at;
  const end = start + record.latencies.request;
  // The record's url is `scheme://host:port/path?query`, made by the serializer: read, not parsed.
  const url = record.request.url;
  const schemeEnd = url.indexOf('://');
  const pathStart = url.indexOf('/', schemeEnd + 3);
  const rootAttributes: Record<string, string | number | boolean> = {
    'http.method': record.request.method,
    'http.url': url,
    'http.host': host ?? url.slice(schemeEnd + 3, pathStart === -1 ? undefined : pathStart),
    'http.scheme': url.slice(0, schemeEnd),
    'http.flavor': httpVersion,
    'http.client_ip': record.client_ip,
    'net.peer.ip': record.client_ip,
    'kong.request.id': record.request.id,
    'http.status_code': record.response.status,
    'http.route': ((record.route?.paths as string[] | null | undefined) ?? [])[0] ?? '',
  };
  const spans: QueuedSpan[] = [
    {
      traceId: trace.traceId,
      spanId: trace.rootSpanId,
      ...(trace.parentSpanId === undefined ? {} : { parentSpanId: trace.parentSpanId }),
      name: 'kong',
      kind: 2,
      startMs: start,
      endMs: end,
      attributes: rootAttributes,
    },
  ];
  const tries = record.tries ?? [];
  const hostname = record.service?.host as string | undefined;
  // Without a try's start in the record, the upstream's latency before the end of the request.
  const fallbackStart = Math.max(start, end - Math.max(0, record.latencies.proxy));
  tries.forEach((attempt, i) => {
    const last = i === tries.length - 1;
    const attributes: Record<string, string | number | boolean> = {
      try_count: i + 1,
      'net.peer.ip': attempt.ip,
      'net.peer.port': attempt.port,
      ...(hostname === undefined ? {} : { 'net.peer.name': hostname }),
    };
    // As Kong: a failed try carries its code and the error status.
    const failed = attempt.state === 'failed';
    if (failed && attempt.code !== undefined) attributes['http.status_code'] = attempt.code;
    const startMs = attempt.balancer_start ?? fallbackStart;
    // A failed try ends as the next begins (a retry is immediate); the last with the response.
    const endMs = last ? end : (tries[i + 1]!.balancer_start ?? startMs);
    spans.push({
      traceId: trace.traceId,
      spanId: last ? trace.balancerSpanId : newId(8),
      parentSpanId: trace.rootSpanId,
      name: 'kong.balancer',
      kind: 3,
      startMs,
      endMs: Math.max(startMs, endMs),
      attributes,
      ...(failed ? { status: { code: 2 } } : {}),
    });
  });
  return spans;
}
