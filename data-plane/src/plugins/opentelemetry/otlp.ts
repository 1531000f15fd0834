/**
 * OTLP/HTTP protobuf encoding (Kong 3.10 kong/observability/otlp): the spans of a batch as one
 * ExportTraceServiceRequest, encoded with protobufjs from the official opentelemetry-proto
 * definitions (./proto, as Kong ships them in kong/include/opentelemetry/proto).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';

const PROTO_ROOT = fileURLToPath(new URL('./proto/', import.meta.url));
const SERVICE = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

let request: protobuf.Type | undefined;

/** opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest, loaded once. */
export function exportTraceServiceRequest(): protobuf.Type {
  if (request === undefined) {
    // Loaded on the first export: a node without the plugin in use never loads protobufjs.
    const { Root } = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
    const root = new Root();
    root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : PROTO_ROOT + target);
    root.loadSync(SERVICE, { keepCase: false });
    request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  }
  return request;
}

/** A finished span, as queued (JSON-safe: ids hex, times in ms since the epoch). */
export interface QueuedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** Status code: 0 unset, 2 error. */
  readonly status?: { readonly code: number; readonly message?: string };
}

function anyValue(value: string | number | boolean): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
}

function keyValues(attributes: Readonly<Record<string, string | number | boolean>>): unknown[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

const TWO_32 = 2 ** 32;

/**
 * Nanoseconds since the epoch (to the microsecond), as the 64-bit `{ low, high }` halves
 * protobufjs writes as they are: exact (µs × 1000 passes 2^53), without a BigInt or a decimal
 * string for protobufjs to parse again.
 */
export function nanos(ms: number): { low: number; high: number } {
  const micros = Math.round(ms * 1000);
  const microsHigh = Math.floor(micros / TWO_32);
  const lowTimes1000 = (micros - microsHigh * TWO_32) * 1000; // < 2^42: exact
  const carry = Math.floor(lowTimes1000 / TWO_32);
  return { low: (lowTimes1000 - carry * TWO_32) >>> 0, high: (microsHigh * 1000 + carry) >>> 0 };
}

/** The protobuf body of one export request. */
export function encodeTraces(
  spans: readonly QueuedSpan[],
  resource: Readonly<Record<string, string | number | boolean>>,
  scopeVersion: string,
): Uint8Array {
  const type = exportTraceServiceRequest();
  // Already in protobufjs's runtime shape (bytes as Buffers, enums as numbers, 64-bit values as
  // { low, high }): encoded without the reflective fromObject copy.
  const message = {
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource) },
        scopeSpans: [
          {
            scope: { name: 'kong-internal', version: scopeVersion },
            spans: spans.map((span) => ({
              traceId: Buffer.from(span.traceId, 'hex'),
              spanId: Buffer.from(span.spanId, 'hex'),
              parentSpanId:
                span.parentSpanId === undefined ? undefined : Buffer.from(span.parentSpanId, 'hex'),
              name: span.name,
              kind: span.kind,
              startTimeUnixNano: nanos(span.startMs),
              endTimeUnixNano: nanos(span.endMs),
              attributes: keyValues(span.attributes),
              status: span.status,
            })),
          },
        ],
      },
    ],
  };
  return type.encode(message).finish();
}
