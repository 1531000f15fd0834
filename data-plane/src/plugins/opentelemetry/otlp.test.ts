import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTraces, exportTraceServiceRequest, nanos } from './otlp.ts';

function asBigInt({ low, high }: { low: number; high: number }): bigint {
  return (BigInt(high) << 32n) | BigInt(low);
}

describe('OTLP encoding', () => {
  it('writes times as exact nanoseconds (to the microsecond), past 2^53', () => {
    for (const ms of [0, 1, 1.5, 1_764_759_360_123.456, 4_102_444_800_000.999, 2 ** 32 / 1000]) {
      const expected = BigInt(Math.round(ms * 1000)) * 1000n;
      assert.equal(asBigInt(nanos(ms)), expected, `${ms} ms`);
    }
  });

  it('encodes spans whose times and ids decode back as given', () => {
    const startMs = 1_764_759_360_123.456;
    const body = encodeTraces(
      [
        {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          name: 'kong',
          kind: 2,
          startMs,
          endMs: startMs + 12.25,
          attributes: { 'http.method': 'GET', 'http.status_code': 200, ok: true, ratio: 0.5 },
        },
      ],
      { 'service.name': 'kong' },
      '3.10.0',
    );
    const decoded = exportTraceServiceRequest().toObject(exportTraceServiceRequest().decode(body), {
      longs: String,
      bytes: String,
    }) as {
      resourceSpans: {
        scopeSpans: {
          spans: {
            startTimeUnixNano: string;
            endTimeUnixNano: string;
            spanId: string;
            attributes: unknown[];
          }[];
        }[];
      }[];
    };
    const span = decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    assert.equal(span.startTimeUnixNano, (BigInt(Math.round(startMs * 1000)) * 1000n).toString());
    assert.equal(span.endTimeUnixNano, (BigInt(Math.round((startMs + 12.25) * 1000)) * 1000n).toString());
    assert.equal(Buffer.from(span.spanId, 'base64').toString('hex'), 'b7ad6b7169203331');
    assert.equal(span.attributes.length, 4);
  });
});
