import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import { CounterFamily, HistogramFamily } from './fast-series.ts';

describe('fast series', () => {
  it('expose counters and cumulative histogram buckets (a value on a bound counts in it) as prom-client does', async () => {
    const registry = new Registry();
    const counter = new CounterFamily(registry, 'c_total', 'a counter');
    const histogram = new HistogramFamily(registry, 'h_ms', 'a histogram', [1, 5]);
    counter.series('a', { route: 'a' }).value += 2;
    const h = histogram.series('a', { route: 'a' });
    for (const v of [0.5, 1, 3, 9]) h.observe(v);
    const text = await registry.metrics();
    assert.match(text, /^# TYPE c_total counter\nc_total\{route="a"\} 2$/m);
    assert.match(text, /^h_ms_bucket\{route="a",le="1"\} 2$/m);
    assert.match(text, /^h_ms_bucket\{route="a",le="5"\} 3$/m);
    assert.match(text, /^h_ms_bucket\{route="a",le="\+Inf"\} 4$/m);
    assert.match(text, /^h_ms_sum\{route="a"\} 13.5$/m);
    assert.match(text, /^h_ms_count\{route="a"\} 4$/m);
  });

  it('sum across workers through AggregatorRegistry', async () => {
    const perWorker = [];
    for (const n of [1, 2]) {
      const registry = new Registry();
      new CounterFamily(registry, 'c_total', 'a counter').series('a', { route: 'a' }).value = n;
      perWorker.push(await registry.getMetricsAsJSON());
    }
    const merged = AggregatorRegistry.aggregate(perWorker as MetricObjectWithValues<MetricValue<string>>[][]);
    assert.match(await merged.metrics(), /^c_total\{route="a"\} 3$/m);
  });
});
