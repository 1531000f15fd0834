/**
 * The tracing plugins end to end: one `turnpike start`, a recording upstream (what the service sees
 * of the propagation headers), and a real OTLP/HTTP receiver on loopback whose bodies are decoded
 * with protobufjs from the official opentelemetry-proto definitions.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { startTraditionalNode, type TraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { REPO_ROOT } from '../helpers/turnpike.ts';
import { closedPort, type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

const PROTO_ROOT = join(REPO_ROOT, 'data-plane/src/plugins/opentelemetry/proto/');

function exportRequestType(): protobuf.Type {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : PROTO_ROOT + target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  return root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
}

interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: string };
}

interface Export {
  readonly headers: IncomingHttpHeaders;
  readonly resource: Record<string, unknown>;
  readonly spans: DecodedSpan[];
}

interface OtlpReceiver {
  readonly port: number;
  readonly exports: Export[];
  spans(): DecodedSpan[];
  close(): Promise<void>;
}

function attr(span: { attributes: DecodedSpan['attributes'] }, key: string): unknown {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : Object.values(v)[0];
}

async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const type = exportRequestType();
  const exports: Export[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const message = type.toObject(type.decode(Buffer.concat(chunks)), {
        longs: String,
        enums: String,
        bytes: String,
      }) as {
        resourceSpans: {
          resource: { attributes: DecodedSpan['attributes'] };
          scopeSpans: { spans: DecodedSpan[] }[];
        }[];
      };
      for (const rs of message.resourceSpans) {
        const resource: Record<string, unknown> = {};
        for (const a of rs.resource.attributes) resource[a.key] = attr(rs.resource, a.key);
        const spans = rs.scopeSpans.flatMap((s) =>
          s.spans.map((span) => ({
            ...span,
            traceId: Buffer.from(span.traceId, 'base64').toString('hex'),
            spanId: Buffer.from(span.spanId, 'base64').toString('hex'),
            parentSpanId: Buffer.from(span.parentSpanId ?? '', 'base64').toString('hex'),
          })),
        );
        exports.push({ headers: req.headers, resource, spans });
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as AddressInfo).port,
    exports,
    spans: () => exports.flatMap((e) => e.spans),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface ZipkinReceiver {
  readonly port: number;
  readonly spans: Record<string, unknown>[];
  readonly contentTypes: string[];
  close(): Promise<void>;
}

async function startZipkinReceiver(): Promise<ZipkinReceiver> {
  const spans: Record<string, unknown>[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      spans.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>[]));
      res.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as AddressInfo).port,
    spans,
    contentTypes,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let zipkin: ZipkinReceiver;
let node: TraditionalNode;
let upstream: RecordingUpstream;
let otlp: OtlpReceiver;
let adminUrl: string;
let proxyUrl: string;
let statusUrl: string;

async function routeWith(name: string, plugins: Record<string, unknown>[]): Promise<void> {
  const created = await http('POST', `${adminUrl}/services/s/routes`, { name, paths: [`/${name}`] });
  assert.equal(created.status, 201, created.text);
  for (const p of plugins) {
    const made = await http('POST', `${adminUrl}/routes/${name}/plugins`, p);
    assert.equal(made.status, 201, made.text);
  }
}

/** Sends `/<route>/ready-<route>` until the upstream sees a traceparent on it (route and plugin synced). */
async function tracingReady(route: string, header = 'traceparent'): Promise<void> {
  await eventually(
    async () => {
      const res = await fetch(`${proxyUrl}/${route}/ready-${route}`);
      await res.text();
      return upstream.received.filter(
        (r) => r.url === `/base/ready-${route}` && r.headers[header] !== undefined,
      ).length;
    },
    (n) => n > 0,
  );
}

describe('tracing plugins through a running node', () => {
  before(async () => {
    upstream = await recordingUpstream();
    otlp = await startOtlpReceiver();
    zipkin = await startZipkinReceiver();
    node = await startTraditionalNode();
    adminUrl = node.adminUrl;
    proxyUrl = node.proxyUrl;
    statusUrl = node.statusUrl;
    const service = await http('POST', `${adminUrl}/services`, {
      name: 's',
      url: `http://127.0.0.1:${upstream.port}/base`,
    });
    assert.equal(service.status, 201, service.text);
  });
  after(async () => {
    await node?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
    await otlp?.close();
    await zipkin?.close();
  });

  it('opentelemetry: schema defaults and Kong-shaped refusals', async () => {
    const ok = await http('POST', `${adminUrl}/plugins`, {
      name: 'opentelemetry',
      config: { traces_endpoint: `http://127.0.0.1:${otlp.port}/v1/traces` },
    });
    assert.equal(ok.status, 201, ok.text);
    const config = (ok.body as { config: Record<string, unknown> }).config;
    assert.equal(config.header_type, 'preserve');
    assert.equal(config.sampling_rate, null);
    assert.equal(config.connect_timeout, 1000);
    assert.equal((config.queue as Record<string, unknown>).max_batch_size, 200);
    assert.equal((config.propagation as Record<string, unknown>).default_format, 'w3c');
    assert.equal((await http('DELETE', `${adminUrl}/plugins/${(ok.body as { id: string }).id}`)).status, 204);

    const none = await http('POST', `${adminUrl}/plugins`, { name: 'opentelemetry', config: {} });
    assert.equal(none.status, 400, none.text);
    assert.match(none.text, /traces_endpoint/);
    const badRate = await http('POST', `${adminUrl}/plugins`, {
      name: 'opentelemetry',
      config: { traces_endpoint: 'http://127.0.0.1:1/v1/traces', sampling_rate: 2 },
    });
    assert.equal(badRate.status, 400, badRate.text);
    assert.match(JSON.stringify(badRate.body), /sampling_rate/);
    const badUrl = await http('POST', `${adminUrl}/plugins`, {
      name: 'opentelemetry',
      config: { traces_endpoint: 'ftp://x/v1/traces' },
    });
    assert.equal(badUrl.status, 400, badUrl.text);
    assert.match(JSON.stringify(badUrl.body), /traces_endpoint/);
  });

  it('opentelemetry: sampling 1 exports the kong and kong.balancer spans, parented, with the request id', async () => {
    await routeWith('otel', [
      {
        name: 'opentelemetry',
        config: {
          traces_endpoint: `http://127.0.0.1:${otlp.port}/v1/traces`,
          sampling_rate: 1,
          headers: { 'x-otel-token': 'secret' },
          resource_attributes: { 'service.name': 'edge' },
          http_response_header_for_traceid: 'x-trace-id',
          queue: { max_coalescing_delay: 0.05 },
        },
      },
    ]);
    await tracingReady('otel');

    // A client with its own (sampled) trace: Kong continues it.
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    const res = await fetch(`${proxyUrl}/otel/traced`, {
      headers: { traceparent: `00-${clientTrace}-${clientSpan}-01` },
    });
    await res.text();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-trace-id'), clientTrace);
    const requestId = res.headers.get('x-kong-request-id');

    const seen = upstream.received.find((r) => r.url === '/base/traced');
    assert.ok(seen, 'the upstream got the request');
    const injected = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(seen.headers.traceparent));
    assert.ok(injected, `traceparent upstream: ${seen.headers.traceparent}`);
    assert.equal(injected[1], clientTrace);

    const spans = await eventually(
      async () => otlp.spans().filter((s) => s.traceId === clientTrace),
      (s) => s.length >= 2,
    );
    const root = spans.find((s) => s.name === 'kong');
    const balancer = spans.find((s) => s.name === 'kong.balancer');
    assert.ok(root && balancer, JSON.stringify(spans.map((s) => s.name)));
    assert.equal(root.parentSpanId, clientSpan);
    assert.equal(root.kind, 'SPAN_KIND_SERVER');
    assert.equal(balancer.parentSpanId, root.spanId);
    assert.equal(balancer.kind, 'SPAN_KIND_CLIENT');
    // The service's parent is the balancer span, as Kong injects it.
    assert.equal(injected[2], balancer.spanId);
    assert.equal(attr(root, 'http.method'), 'GET');
    assert.equal(attr(root, 'http.status_code'), '200');
    assert.equal(attr(root, 'http.route'), '/otel');
    assert.equal(attr(root, 'kong.request.id'), requestId);
    assert.match(String(attr(root, 'kong.request.id')), /^[0-9a-f]{32}$/);
    assert.equal(attr(balancer, 'net.peer.ip'), '127.0.0.1');
    assert.equal(attr(balancer, 'net.peer.port'), String(upstream.port));
    assert.equal(attr(balancer, 'try_count'), '1');
    assert.ok(BigInt(root.endTimeUnixNano) >= BigInt(root.startTimeUnixNano));
    assert.ok(BigInt(balancer.startTimeUnixNano) >= BigInt(root.startTimeUnixNano));
    assert.ok(BigInt(balancer.endTimeUnixNano) <= BigInt(root.endTimeUnixNano));

    const exported = otlp.exports.find((e) => e.spans.some((s) => s.traceId === clientTrace));
    assert.ok(exported);
    assert.equal(exported.headers['content-type'], 'application/x-protobuf');
    assert.equal(exported.headers['x-otel-token'], 'secret');
    assert.equal(exported.resource['service.name'], 'edge');
    assert.equal(exported.resource['service.version'], '3.10.0');

    // Without a client trace: a new trace id, the root span has no parent.
    const fresh = await fetch(`${proxyUrl}/otel/fresh`);
    await fresh.text();
    const freshTrace = fresh.headers.get('x-trace-id');
    assert.match(String(freshTrace), /^[0-9a-f]{32}$/);
    const freshSpans = await eventually(
      async () => otlp.spans().filter((s) => s.traceId === freshTrace),
      (s) => s.length >= 2,
    );
    assert.equal(freshSpans.find((s) => s.name === 'kong')?.parentSpanId, '');
  });

  it('opentelemetry: a failed try is its own kong.balancer span, with its code and the error status, before the retry', async () => {
    const dead = await closedPort();
    assert.equal((await http('POST', `${adminUrl}/upstreams`, { name: 'retryup' })).status, 201);
    for (const target of [`127.0.0.1:${dead}`, `127.0.0.1:${upstream.port}`]) {
      assert.equal((await http('POST', `${adminUrl}/upstreams/retryup/targets`, { target })).status, 201);
    }
    const service = await http('POST', `${adminUrl}/services`, {
      name: 'retrying',
      url: 'http://retryup/base',
      retries: 3,
    });
    assert.equal(service.status, 201, service.text);
    const route = await http('POST', `${adminUrl}/services/retrying/routes`, {
      name: 'retry',
      paths: ['/retry'],
    });
    assert.equal(route.status, 201, route.text);
    const plugin = await http('POST', `${adminUrl}/routes/retry/plugins`, {
      name: 'opentelemetry',
      config: {
        traces_endpoint: `http://127.0.0.1:${otlp.port}/v1/traces`,
        sampling_rate: 1,
        http_response_header_for_traceid: 'x-trace-id',
        queue: { max_coalescing_delay: 0.05 },
      },
    });
    assert.equal(plugin.status, 201, plugin.text);
    // Round robin over a dead and a live target: some request tries the dead one first.
    const spans = await eventually(
      async () => {
        const res = await fetch(`${proxyUrl}/retry/once`);
        await res.text();
        const trace = res.headers.get('x-trace-id');
        if (res.status !== 200 || trace === null) return [];
        await new Promise((r) => setTimeout(r, 150));
        return otlp.spans().filter((x) => x.traceId === trace && x.name === 'kong.balancer');
      },
      (found) => found.length === 2,
    );
    spans.sort((a, b) => Number(attr(a, 'try_count')) - Number(attr(b, 'try_count')));
    const [failed, served] = spans as [DecodedSpan, DecodedSpan];
    assert.equal(attr(failed, 'net.peer.port'), String(dead));
    assert.equal(attr(failed, 'http.status_code'), '502');
    assert.equal(failed.status?.code, 'STATUS_CODE_ERROR');
    assert.equal(attr(served, 'net.peer.port'), String(upstream.port));
    assert.equal(attr(served, 'try_count'), '2');
    assert.equal(attr(served, 'http.status_code'), undefined);
    assert.notEqual(served.status?.code, 'STATUS_CODE_ERROR');
    // Each try spans its own time: the failed one ends as the retry starts.
    assert.ok(BigInt(failed.startTimeUnixNano) <= BigInt(failed.endTimeUnixNano));
    assert.equal(failed.endTimeUnixNano, served.startTimeUnixNano);
    assert.ok(BigInt(served.startTimeUnixNano) <= BigInt(served.endTimeUnixNano));
  });

  it('opentelemetry: sampling 0 propagates (unsampled) and exports nothing', async () => {
    await routeWith('unsampled', [
      {
        name: 'opentelemetry',
        config: {
          traces_endpoint: `http://127.0.0.1:${otlp.port}/v1/traces`,
          sampling_rate: 0,
          http_response_header_for_traceid: 'x-trace-id',
          queue: { max_coalescing_delay: 0.05 },
        },
      },
    ]);
    await tracingReady('unsampled');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${proxyUrl}/unsampled/unsampled-${i}`);
      await res.text();
      ids.push(String(res.headers.get('x-trace-id')));
      const seen = upstream.received.find((r) => r.url === `/base/unsampled-${i}`);
      assert.match(String(seen?.headers.traceparent), new RegExp(`^00-${ids[i]}-[0-9a-f]{16}-00$`));
    }
    // A sampled request on the other route after these, then nothing of these arrived.
    const marker = await fetch(`${proxyUrl}/otel/marker`);
    await marker.text();
    const markerTrace = marker.headers.get('x-trace-id');
    await eventually(
      async () => otlp.spans().filter((s) => s.traceId === markerTrace),
      (s) => s.length >= 2,
    );
    assert.deepEqual(
      otlp.spans().filter((s) => ids.includes(s.traceId)),
      [],
    );
  });

  it('opentelemetry: a full queue drops spans, counted on /metrics, with a warning; requests keep flowing', async () => {
    // A receiver that never answers: the first batch stays in flight, the queue (1 entry) overflows.
    const held: import('node:http').ServerResponse[] = [];
    const hang = createServer((req, res) => {
      req.resume();
      held.push(res);
    });
    hang.listen(0, '127.0.0.1');
    await new Promise((r) => hang.once('listening', r));
    try {
      await routeWith('otelfull', [
        {
          name: 'opentelemetry',
          config: {
            traces_endpoint: `http://127.0.0.1:${(hang.address() as AddressInfo).port}/v1/traces`,
            sampling_rate: 1,
            read_timeout: 60_000,
            queue: { max_entries: 1, max_batch_size: 1, max_coalescing_delay: 0 },
          },
        },
      ]);
      await tracingReady('otelfull');
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${proxyUrl}/otelfull/n${i}`);
        await res.text();
        assert.equal(res.status, 200);
      }
      const dropped = await eventually(
        async () => {
          const text = await (await fetch(`${statusUrl}/metrics`)).text();
          const line = text
            .split('\n')
            .find(
              (l) => l.startsWith('turnpike_log_entries_dropped{') && l.includes('plugin="opentelemetry"'),
            );
          return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
        },
        (n) => n >= 8,
      );
      assert.ok(dropped >= 8, String(dropped));
      assert.ok(node.lines.some((l) => /queue full, dropping old entries/.test(JSON.stringify(l))));
    } finally {
      for (const res of held) res.destroy();
      hang.closeAllConnections();
      await new Promise((r) => hang.close(r));
    }
  });

  it('zipkin: B3 multi in and out, Kong span names and tags, JSON v2 to http_endpoint', async () => {
    const bad = await http('POST', `${adminUrl}/plugins`, {
      name: 'zipkin',
      config: { static_tags: [{ name: 'http.method', value: 'x' }] },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.match(JSON.stringify(bad.body), /static_tags/);
    await routeWith('zip', [
      {
        name: 'zipkin',
        config: {
          http_endpoint: `http://127.0.0.1:${zipkin.port}/api/v2/spans`,
          sample_ratio: 1,
          static_tags: [{ name: 'env', value: 'test' }],
          http_response_header_for_traceid: 'x-trace-id',
          queue: { max_coalescing_delay: 0.05 },
        },
      },
    ]);
    await tracingReady('zip', 'x-b3-traceid');
    const traceId = '80f198ee56343ba864fe8b2a57d3eff7';
    const clientSpan = 'e457b5a2e4d86bd1';
    const clientParent = '05e3ac9a4f6e3b90';
    const res = await fetch(`${proxyUrl}/zip/b3?x=1`, {
      headers: {
        'x-b3-traceid': traceId,
        'x-b3-spanid': clientSpan,
        'x-b3-parentspanid': clientParent,
        'x-b3-sampled': '1',
        'zipkin-tags': 'team=edge; tier = gold',
      },
    });
    await res.text();
    assert.equal(res.headers.get('x-trace-id'), traceId);
    const seen = upstream.received.find((r) => r.url === '/base/b3?x=1');
    assert.ok(seen);
    assert.equal(seen.headers['x-b3-traceid'], traceId);
    assert.equal(seen.headers['x-b3-parentspanid'], clientSpan);
    assert.equal(seen.headers['x-b3-sampled'], '1');
    const spans = await eventually(
      async () => zipkin.spans.filter((s) => s.traceId === traceId),
      (s) => s.length >= 3,
    );
    assert.equal(zipkin.contentTypes[0], 'application/json');
    const request = spans.find((s) => s.name === 'GET');
    const proxy = spans.find((s) => s.name === 'GET (proxy)');
    const attempt = spans.find((s) => s.name === 'GET (balancer try 1)');
    assert.ok(request && proxy && attempt, JSON.stringify(spans.map((s) => s.name)));
    // B3 shares the client's span: the request span is it.
    assert.equal(request.id, clientSpan);
    assert.equal(request.parentId, clientParent);
    assert.equal(request.kind, 'SERVER');
    assert.equal(proxy.parentId, clientSpan);
    assert.equal(proxy.kind, 'CLIENT');
    assert.equal(proxy.id, seen.headers['x-b3-spanid']);
    assert.equal(attempt.parentId, clientSpan);
    assert.deepEqual(request.localEndpoint, { serviceName: 'kong' });
    const tags = request.tags as Record<string, string>;
    assert.equal(tags.lc, 'kong');
    assert.equal(tags['http.method'], 'GET');
    assert.equal(tags['http.path'], '/zip/b3');
    assert.equal(tags['http.status_code'], '200');
    assert.equal(tags.env, 'test');
    assert.equal(tags.team, 'edge');
    assert.equal(tags.tier, 'gold');
    assert.equal(tags['kong.request.id'], res.headers.get('x-kong-request-id'));
    assert.equal((proxy.tags as Record<string, string>)['kong.route_name'], 'zip');
    assert.equal((proxy.tags as Record<string, string>)['kong.service_name'], 's');
    assert.deepEqual(attempt.remoteEndpoint, { serviceName: 's', port: upstream.port, ipv4: '127.0.0.1' });
    assert.equal((attempt.tags as Record<string, string>)['kong.balancer.try'], '1');
    assert.ok(typeof request.timestamp === 'number' && typeof request.duration === 'number');
    assert.ok((proxy.timestamp as number) >= (request.timestamp as number));
    // phase_duration_flavor = annotations (Kong's default): the phases in order, within the request.
    const marks = (span: Record<string, unknown>) =>
      span.annotations as { value: string; timestamp: number }[];
    assert.deepEqual(
      marks(request).map((a) => a.value),
      ['krs', 'krf'],
    );
    assert.deepEqual(
      marks(proxy).map((a) => a.value),
      ['kas', 'kaf', 'khs', 'khf', 'kbs', 'kbf'],
    );
    const times = [...marks(request), ...marks(proxy)].map((a) => a.timestamp);
    assert.deepEqual(
      times,
      [...times].sort((x, y) => x - y),
      `in order: ${times}`,
    );
    assert.ok(times[0]! >= (request.timestamp as number));
    // kbf is the log phase's instant: after the response ended, by however long the loop took to get there.
    assert.ok(times.at(-1)! >= (request.timestamp as number) + (request.duration as number) - 1000);
  });

  it('zipkin: b3-single out, W3C in, and sample_ratio 0 reports nothing', async () => {
    await routeWith('zsingle', [
      {
        name: 'zipkin',
        config: {
          http_endpoint: `http://127.0.0.1:${zipkin.port}/api/v2/spans`,
          sample_ratio: 0,
          header_type: 'b3-single',
          phase_duration_flavor: 'tags',
          queue: { max_coalescing_delay: 0.05 },
        },
      },
    ]);
    await tracingReady('zsingle', 'b3');
    const res = await fetch(`${proxyUrl}/zsingle/unsampled`);
    await res.text();
    const seen = upstream.received.find((r) => r.url === '/base/unsampled');
    const b3 = /^([0-9a-f]{32})-([0-9a-f]{16})-0-([0-9a-f]{16})$/.exec(String(seen?.headers.b3));
    assert.ok(b3, `b3 upstream: ${seen?.headers.b3}`);
    assert.equal(seen?.headers['x-b3-traceid'], undefined);

    // A sampled W3C parent is followed even with sample_ratio 0; the trace id is kept.
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parent = 'b7ad6b7169203331';
    const w3c = await fetch(`${proxyUrl}/zsingle/w3c`, {
      headers: { traceparent: `00-${traceId}-${parent}-01` },
    });
    await w3c.text();
    const seenW3c = upstream.received.find((r) => r.url === '/base/w3c');
    assert.match(String(seenW3c?.headers.b3), new RegExp(`^${traceId}-[0-9a-f]{16}-1-[0-9a-f]{16}$`));
    const spans = await eventually(
      async () => zipkin.spans.filter((s) => s.traceId === traceId),
      (s) => s.length >= 3,
    );
    const server = spans.find((s) => s.kind === 'SERVER');
    assert.equal(server?.parentId, parent);
    // phase_duration_flavor = tags: durations in ms, no annotations.
    assert.match(
      String((server?.tags as Record<string, string> | undefined)?.['kong.rewrite.duration_ms']),
      /^\d+$/,
    );
    const proxySpan = spans.find((s) => String(s.name).endsWith('(proxy)'));
    assert.match(
      String((proxySpan?.tags as Record<string, string> | undefined)?.['kong.access.duration_ms']),
      /^\d+$/,
    );
    assert.equal(proxySpan?.annotations, undefined);
    assert.deepEqual(
      zipkin.spans.filter((s) => s.traceId === b3[1]),
      [],
    );
  });
});
