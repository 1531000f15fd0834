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
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { REPO_ROOT, type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

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

let node: RunningTurnpike;
let upstream: RecordingUpstream;
let otlp: OtlpReceiver;
let adminUrl: string;
let proxyUrl: string;

async function routeWith(name: string, plugins: Record<string, unknown>[]): Promise<void> {
  const created = await http('POST', `${adminUrl}/services/s/routes`, { name, paths: [`/${name}`] });
  assert.equal(created.status, 201, created.text);
  for (const p of plugins) {
    const made = await http('POST', `${adminUrl}/routes/${name}/plugins`, p);
    assert.equal(made.status, 201, made.text);
  }
}

/** Sends `/<route>/ready-<route>` until the upstream sees a traceparent on it (route and plugin synced). */
async function tracingReady(route: string): Promise<void> {
  await eventually(
    async () => {
      const res = await fetch(`${proxyUrl}/${route}/ready-${route}`);
      await res.text();
      return upstream.received.filter(
        (r) => r.url === `/base/ready-${route}` && r.headers.traceparent !== undefined,
      ).length;
    },
    (n) => n > 0,
  );
}

describe('tracing plugins through a running node', () => {
  before(async () => {
    upstream = await recordingUpstream();
    otlp = await startOtlpReceiver();
    const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()];
    node = await startTurnpike({
      env: {
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      },
    });
    adminUrl = `http://127.0.0.1:${admin}`;
    proxyUrl = `http://127.0.0.1:${proxy}`;
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
});
