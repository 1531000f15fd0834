import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTraces, exportTraceServiceRequest } from './otlp.ts';
import { formatTraceparent, newId, parseTraceparent } from './traceparent.ts';

describe('traceparent', () => {
  it('parses version 00 and the sampled flag, refuses bad or all-zero ids', () => {
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    });
    assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.sampled, false);
    assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
    assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'), undefined);
    assert.equal(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), undefined);
    assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'), undefined);
    assert.equal(parseTraceparent(undefined), undefined);
  });
  it('formats what it parses', () => {
    const header = formatTraceparent(newId(16), newId(8), true);
    assert.deepEqual(
      parseTraceparent(header) &&
        formatTraceparent(parseTraceparent(header)!.traceId, parseTraceparent(header)!.spanId, true),
      header,
    );
  });
});

describe('OTLP encoding', () => {
  it('round-trips through the official definitions, nanosecond times exact', () => {
    const body = encodeTraces(
      [
        {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          name: 'kong',
          kind: 2,
          startMs: 1764710000123.5,
          endMs: 1764710000130,
          attributes: { s: 'x', i: 3, d: 1.5, b: true },
        },
      ],
      { 'service.name': 'kong' },
      '3.10.0',
    );
    const type = exportTraceServiceRequest();
    const decoded = type.toObject(type.decode(body), { longs: String, enums: String, bytes: String }) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const span = decoded.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    assert.equal(span?.startTimeUnixNano, '1764710000123500000');
    assert.equal(span?.endTimeUnixNano, '1764710000130000000');
    assert.equal(span?.kind, 'SPAN_KIND_SERVER');
    assert.deepEqual(span?.attributes, [
      { key: 's', value: { stringValue: 'x' } },
      { key: 'i', value: { intValue: '3' } },
      { key: 'd', value: { doubleValue: 1.5 } },
      { key: 'b', value: { boolValue: true } },
    ]);
  });
});
