import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SerializedRecord } from '@turnpike/plugin-sdk';
import { spansOf } from './handler.ts';
import type { ZipkinConfig } from './schema.ts';

const record = {
  started_at: 1_000_000,
  latencies: { request: 50, proxy: 30, kong: 20 },
  tries: [{ ip: '10.0.0.1', port: 80 }],
  response: { status: 200 },
  request: { id: 'req-1' },
} as unknown as SerializedRecord;
const trace = {
  traceId: 'a'.repeat(32),
  requestSpanId: 'b'.repeat(16),
  parentId: undefined,
  proxySpanId: 'c'.repeat(16),
  sampled: true,
  name: 'GET',
  tags: {},
  clientIp: '127.0.0.1',
};
const ctx = { route: { id: 'r1' }, service: undefined } as never;
const startUs = 1_000_000_000;
const phases = { accessStart: startUs + 2_000, headerStart: startUs + 45_000, headerEnd: startUs + 45_100 };
const logUs = startUs + 50_000;

function spans(flavor: 'annotations' | 'tags') {
  const config = { phase_duration_flavor: flavor, local_service_name: 'kong' } as unknown as ZipkinConfig;
  const all = spansOf(record, trace, config, ctx, phases, logUs);
  const byKind = (name: string) => all.find((s) => s.name === name) as Record<string, unknown>;
  return { request: byKind('GET'), proxy: byKind('GET (proxy)') };
}

describe("zipkin's phase_duration_flavor", () => {
  it("annotations: krs/krf on the request span, kas…kbf on the proxy span, at the phases' instants", () => {
    const { request, proxy } = spans('annotations');
    assert.deepEqual(request.annotations, [
      { value: 'krs', timestamp: startUs },
      { value: 'krf', timestamp: startUs + 2_000 },
    ]);
    // The upstream window starts 30 ms before the end (latencies.proxy): access ends there.
    assert.deepEqual(proxy.annotations, [
      { value: 'kas', timestamp: startUs + 2_000 },
      { value: 'kaf', timestamp: startUs + 20_000 },
      { value: 'khs', timestamp: startUs + 45_000 },
      { value: 'khf', timestamp: startUs + 45_100 },
      { value: 'kbs', timestamp: startUs + 45_100 },
      { value: 'kbf', timestamp: logUs },
    ]);
    assert.equal((proxy.tags as Record<string, string>)['kong.access.duration_ms'], undefined);
  });

  it('tags: the durations in ms, as strings, and no annotations', () => {
    const { request, proxy } = spans('tags');
    assert.equal(request.annotations, undefined);
    assert.equal(proxy.annotations, undefined);
    assert.equal((request.tags as Record<string, string>)['kong.rewrite.duration_ms'], '2');
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(proxy.tags as Record<string, string>).filter(([k]) => k.endsWith('_ms')),
      ),
      {
        'kong.access.duration_ms': '18',
        'kong.header_filter.duration_ms': '0',
        'kong.body_filter.duration_ms': '5',
      },
    );
  });

  it("annotations stay in order when the record's whole milliseconds cross the measured µs marks", () => {
    // As seen in a run: started_at 7 ms, request 2 ms, proxy 0 ms (the upstream answered in
    // under half a millisecond), so the rounded upstream window starts at 9,000 µs, after the
    // header filter measured at 8,370 µs.
    const rounded = {
      ...record,
      started_at: 7,
      latencies: { request: 2, proxy: 0, kong: 2 },
    } as unknown as SerializedRecord;
    const config = {
      phase_duration_flavor: 'annotations',
      local_service_name: 'kong',
    } as unknown as ZipkinConfig;
    const measured = { accessStart: 6_600, headerStart: 8_370, headerEnd: 8_382 };
    const all = spansOf(rounded, trace, config, ctx, measured, 9_336);
    const marks = (name: string) =>
      (all.find((s) => s.name === name)?.annotations as { value: string; timestamp: number }[]) ?? [];
    const times = [...marks('GET'), ...marks('GET (proxy)')].map((a) => a.timestamp);
    assert.deepEqual(times, [7_000, 7_000, 7_000, 8_370, 8_370, 8_382, 8_382, 9_336]);
  });
});
