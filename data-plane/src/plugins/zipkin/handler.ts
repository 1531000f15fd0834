/**
 * zipkin (Kong 3.10 kong/plugins/zipkin/handler.lua): reads the client's B3 (multi or single) or W3C
 * trace context, writes the proxy span's context to the service (B3 by default), and for a sampled
 * request reports Kong's spans as Zipkin v2 JSON to `http_endpoint`: the request span (SERVER,
 * named by the method or `method path`), `<name> (proxy)` (CLIENT) and one `<name> (balancer try
 * N)` (CLIENT) per upstream try, through a bounded per-worker queue (the SDK's LogQueue). Nothing
 * is awaited by the request.
 */
import { hostname } from 'node:os';
import {
  countLogDrops,
  definePluginHandler,
  type Logger,
  LogQueue,
  LogQueues,
  type PluginContext,
  pluginQueueParams,
  type QueueConfig,
  randomHex,
  type SerializedRecord,
} from '@turnpike/plugin-sdk';
import { type Extracted, extract, type Format, inject } from './propagation.ts';
import { ZipkinReporter } from './reporter.ts';
import { parseTags } from './request-tags.ts';
import type { ZipkinConfig } from './schema.ts';

const ALL_FORMATS: readonly Format[] = ['b3', 'b3-single', 'w3c'];
const NODE_ID = `${hostname()}:${process.pid}`;

interface Compiled {
  readonly name: string;
  readonly queue: QueueConfig;
  readonly config: ZipkinConfig;
  readonly extract: readonly Format[];
  /** undefined: inject the extracted format (preserve), else default. */
  readonly inject: readonly (Format | 'preserve')[];
  readonly defaultFormat: Format;
  readonly warnings: readonly string[];
}

interface Trace {
  readonly traceId: string;
  readonly requestSpanId: string;
  readonly parentId: string | undefined;
  readonly proxySpanId: string;
  readonly sampled: boolean;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly clientIp: string;
}

const TRACE = 'zipkin:trace';
const PHASES = 'zipkin:phases';

/**
 * When the phases ran, in µs since the epoch, as the plugin sees them: zipkin has the highest
 * priority, so its access phase starts the access phase and its header phase the header filter
 * (Kong reads nginx's KONG_*_START / _ENDED_AT; these are the same instants within the plugins'
 * own work).
 */
export interface PhaseTimes {
  accessStart?: number;
  headerStart?: number;
  headerEnd?: number;
}

/** Wall clock in µs, at sub-millisecond resolution. */
function nowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

function phasesOf(ctx: PluginContext): PhaseTimes {
  let phases = ctx.shared.get(PHASES) as PhaseTimes | undefined;
  if (phases === undefined) {
    phases = {};
    ctx.shared.set(PHASES, phases);
  }
  return phases;
}
const queues = new LogQueues();

function id(bytes: number): string {
  return randomHex(bytes);
}

function queueFor(compiled: Compiled, log: Logger): LogQueue | undefined {
  const endpoint = compiled.config.http_endpoint;
  if (endpoint == null) return undefined;
  return queues.get(compiled.name, () => {
    const c = compiled.config;
    const reporter = new ZipkinReporter(
      endpoint,
      Math.max(c.connect_timeout, c.send_timeout, c.read_timeout),
    );
    const queue = new LogQueue(compiled.name, compiled.queue, reporter.send, log, (n) =>
      countLogDrops('zipkin', n),
    );
    for (const warning of compiled.warnings) log.warn({ queue: compiled.name }, warning);
    return { queue };
  }).queue;
}

/** Kong's propagation.get_plugin_params: propagation.* when set, else derived from header_type. */
function propagationOf(config: ZipkinConfig): Pick<Compiled, 'extract' | 'inject' | 'defaultFormat'> {
  const p = config.propagation;
  if (p.extract != null || p.inject != null) {
    return {
      extract: (p.extract ?? []) as Format[],
      inject: (p.inject ?? []) as (Format | 'preserve')[],
      defaultFormat: p.default_format as Format,
    };
  }
  const type = config.header_type;
  const defaultFormat = config.default_header_type as Format;
  if (type === 'ignore') return { extract: [], inject: [defaultFormat], defaultFormat };
  if (type === 'preserve') return { extract: ALL_FORMATS, inject: ['preserve'], defaultFormat };
  return { extract: ALL_FORMATS, inject: [type as Format], defaultFormat };
}

function start(ctx: PluginContext, compiled: Compiled): Trace {
  const found = ctx.shared.get(TRACE) as Trace | undefined;
  if (found !== undefined) return found;
  const c = compiled.config;
  const extracted: Extracted | undefined = extract(ctx, compiled.extract);
  const sampled = extracted?.sampled ?? Math.random() < c.sample_ratio;
  const method = ctx.request.method;
  const name = c.http_span_name === 'method_path' ? `${method} ${ctx.request.path}` : method;
  const tags: Record<string, string> = {
    lc: 'kong',
    'http.method': method,
    'http.host': (ctx.request.header('host') ?? '').replace(/:\d+$/, ''),
    'http.path': ctx.request.path,
    'http.protocol': `HTTP/${ctx.request.httpVersion}`,
  };
  for (const tag of c.static_tags ?? []) tags[tag.name] = tag.value;
  const header = ctx.request.header(c.tags_header);
  if (header !== undefined) {
    const { tags: requestTags, errors } = parseTags(header);
    if (errors.length > 0) ctx.log.warn(`Could not parse the following Zipkin tags: ${errors.join(', ')}`);
    Object.assign(tags, requestTags);
  }
  const reuse = extracted?.reuseSpanId === true && extracted.spanId !== undefined;
  const trace: Trace = {
    traceId: extracted?.traceId ?? id(c.traceid_byte_count),
    requestSpanId: reuse ? (extracted.spanId as string) : id(8),
    parentId: reuse ? extracted.parentId : extracted?.spanId,
    proxySpanId: id(8),
    sampled,
    name,
    tags,
    clientIp: ctx.request.clientIp,
  };
  ctx.shared.set(TRACE, trace);
  ctx.shared.set(`${TRACE}:format`, extracted?.format);
  return trace;
}

export const handler = definePluginHandler<ZipkinConfig, Compiled>({
  name: 'zipkin',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 100000,
  sdkVersion: '1.1.0',
  configure(config) {
    const { queue, warnings } = pluginQueueParams(config);
    const name = JSON.stringify([
      config.http_endpoint,
      config.connect_timeout,
      config.send_timeout,
      config.read_timeout,
      queue,
    ]);
    return { name, queue, config, warnings, ...propagationOf(config) };
  },

  access(ctx, compiled) {
    phasesOf(ctx).accessStart = nowUs();
    const trace = start(ctx, compiled);
    for (const name of compiled.config.propagation.clear ?? []) ctx.clearUpstreamHeader(name);
    const extractedFormat = ctx.shared.get(`${TRACE}:format`) as Format | undefined;
    const formats = new Set<Format>();
    for (const f of compiled.inject)
      formats.add(f === 'preserve' ? (extractedFormat ?? compiled.defaultFormat) : f);
    for (const format of formats)
      inject(ctx, format, {
        traceId: trace.traceId,
        spanId: trace.proxySpanId,
        parentId: trace.requestSpanId,
        sampled: trace.sampled,
      });
  },

  header(ctx, compiled) {
    const phases = phasesOf(ctx);
    phases.headerStart = nowUs();
    const name = compiled.config.http_response_header_for_traceid;
    if (name != null) ctx.setResponseHeader(name, start(ctx, compiled).traceId);
    // The header filters are synchronous and take microseconds: they end with this turn.
    phases.headerEnd = nowUs();
  },

  log(ctx, compiled) {
    const trace = start(ctx, compiled);
    if (!trace.sampled) return;
    const queue = queueFor(compiled, ctx.log);
    if (queue === undefined) return;
    for (const span of spansOf(ctx.serialize(), trace, compiled.config, ctx, phasesOf(ctx), nowUs()))
      queue.enqueue(JSON.stringify(span));
  },
});

function ipKind(ip: string): 'ipv4' | 'ipv6' {
  return ip.includes(':') ? 'ipv6' : 'ipv4';
}

/** Kong's reporter shape (zipkin v2 JSON): tags are non-empty strings; timestamps in µs. */
export function spansOf(
  record: SerializedRecord,
  trace: Trace,
  config: ZipkinConfig,
  ctx: Pick<PluginContext, 'route' | 'service'>,
  phases: PhaseTimes = {},
  logUs: number = Math.round((record.started_at + record.latencies.request) * 1000),
): Record<string, unknown>[] {
  const startUs = Math.round(record.started_at * 1000);
  const endUs = Math.round((record.started_at + record.latencies.request) * 1000);
  const local = { serviceName: config.local_service_name };
  const service = ctx.service;
  const routeTags: Record<string, string> = {};
  if (service !== undefined) {
    routeTags['kong.service'] = service.id;
    if (typeof service.name === 'string') routeTags['kong.service_name'] = service.name;
  }
  routeTags['kong.route'] = ctx.route.id;
  if (typeof ctx.route.name === 'string') routeTags['kong.route_name'] = ctx.route.name;
  const serviceName =
    (typeof service?.name === 'string' ? service.name : undefined) ??
    config.default_service_name ??
    undefined;
  const remote = (ip: string | undefined, port: number | undefined): Record<string, unknown> | null => {
    if (port === undefined && serviceName === undefined) return null;
    return {
      ...(serviceName === undefined ? {} : { serviceName }),
      ...(port === undefined ? {} : { port }),
      ...(ip === undefined ? {} : { [ipKind(ip)]: ip }),
    };
  };
  const clean = (tags: Record<string, string>): Record<string, string> | undefined => {
    const out = Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== ''));
    return Object.keys(out).length === 0 ? undefined : out;
  };
  const spans: Record<string, unknown>[] = [];
  const tries = record.tries ?? [];
  // Without a try's start in the record: the upstream window is the proxy latency before the end.
  const proxyStartUs = Math.max(startUs, endUs - Math.max(0, record.latencies.proxy) * 1000);
  tries.forEach((attempt, i) => {
    const last = i === tries.length - 1;
    const tags: Record<string, string> = { 'kong.balancer.try': String(i + 1), ...routeTags };
    // As Kong: the tries before the last failed; they carry their state and code.
    if (!last) {
      tags.error = 'true';
      if (attempt.state !== undefined) tags['kong.balancer.state'] = attempt.state;
      if (attempt.code !== undefined) tags['http.status_code'] = String(attempt.code);
    }
    const timestamp = attempt.balancer_start === undefined ? proxyStartUs : attempt.balancer_start * 1000;
    // A failed try ends as the next begins (a retry is immediate); the last with the response.
    const next = tries[i + 1]?.balancer_start;
    const until = last ? endUs : next === undefined ? timestamp : next * 1000;
    spans.push({
      traceId: trace.traceId,
      name: `${trace.name} (balancer try ${i + 1})`,
      parentId: trace.requestSpanId,
      id: id(8),
      kind: 'CLIENT',
      timestamp,
      duration: Math.max(0, until - timestamp),
      localEndpoint: local,
      remoteEndpoint: remote(attempt.ip, attempt.port),
      tags: clean(tags),
    });
  });
  const lastTry = tries.at(-1);
  // Kong's phase_duration_flavor: annotations (krs/krf on the request span; kas/kaf, khs/khf,
  // kbs/kbf on the proxy span) or duration tags. Rewrite ends where access starts; access ends
  // where the upstream window starts; the body filter ends at the log phase.
  // The record's instants are whole milliseconds (Kong's log format); the plugin's own phase
  // marks are µs. Where a rounded instant crosses a measured one, the measured one wins, so the
  // marks stay in order: access ends no later than the header filter starts.
  const accessStart = Math.max(startUs, phases.accessStart ?? proxyStartUs);
  const headerStart = Math.max(accessStart, phases.headerStart ?? logUs);
  const accessEnd = Math.min(Math.max(accessStart, proxyStartUs), headerStart);
  const headerEnd = Math.max(headerStart, phases.headerEnd ?? headerStart);
  const bodyEnd = Math.max(headerEnd, logUs);
  const annotate = config.phase_duration_flavor === 'annotations';
  const ms = (from: number, to: number) => String(Math.max(0, Math.round((to - from) / 1000)));
  const requestAnnotations = [
    { value: 'krs', timestamp: startUs },
    { value: 'krf', timestamp: accessStart },
  ];
  const proxyAnnotations = [
    { value: 'kas', timestamp: accessStart },
    { value: 'kaf', timestamp: accessEnd },
    { value: 'khs', timestamp: headerStart },
    { value: 'khf', timestamp: headerEnd },
    { value: 'kbs', timestamp: headerEnd },
    { value: 'kbf', timestamp: bodyEnd },
  ];
  const proxyTags: Record<string, string> = { ...routeTags };
  if (!annotate) {
    proxyTags['kong.access.duration_ms'] = ms(accessStart, accessEnd);
    proxyTags['kong.header_filter.duration_ms'] = ms(headerStart, headerEnd);
    proxyTags['kong.body_filter.duration_ms'] = ms(headerEnd, bodyEnd);
  }
  if (service !== undefined && typeof service.host === 'string' && tries.length > 0)
    proxyTags['peer.hostname'] = service.host;
  spans.push({
    traceId: trace.traceId,
    name: `${trace.name} (proxy)`,
    parentId: trace.requestSpanId,
    id: trace.proxySpanId,
    kind: 'CLIENT',
    timestamp: proxyStartUs,
    duration: endUs - proxyStartUs,
    localEndpoint: local,
    remoteEndpoint: remote(lastTry?.ip, lastTry?.port),
    tags: clean(proxyTags),
    ...(annotate ? { annotations: proxyAnnotations } : {}),
  });
  const requestTags: Record<string, string> = {
    ...trace.tags,
    'http.status_code': String(record.response.status),
    'kong.node.id': NODE_ID,
    'kong.request.id': record.request.id,
  };
  if (record.consumer?.id !== undefined) requestTags['kong.consumer'] = String(record.consumer.id);
  if (config.include_credential && record.authenticated_entity?.id !== undefined)
    requestTags['kong.credential'] = record.authenticated_entity.id;
  if (!annotate) requestTags['kong.rewrite.duration_ms'] = ms(startUs, accessStart);
  spans.push({
    traceId: trace.traceId,
    name: trace.name,
    ...(trace.parentId === undefined ? {} : { parentId: trace.parentId }),
    id: trace.requestSpanId,
    kind: 'SERVER',
    timestamp: startUs,
    duration: endUs - startUs,
    localEndpoint: local,
    remoteEndpoint: { [ipKind(trace.clientIp)]: trace.clientIp },
    tags: clean(requestTags),
    ...(annotate ? { annotations: requestAnnotations } : {}),
  });
  return spans;
}
