/**
 * Counters and histograms whose per-request update is a number added to a field: the series object
 * is resolved once (per route and version, `series(key, labels)`) and kept by the caller, so no label
 * set is hashed per request, which prom-client's `labels(...).inc()` does on every call. They are
 * prom-client metrics all the same: registered in a Registry (`registerMetric`), exposed by its
 * `metrics()` and `getMetricsAsJSON()` in prom-client's shapes, merged by AggregatorRegistry (`sum`).
 */

import type { Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface MetricValueOut {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricOut {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: MetricValueOut[];
  readonly aggregator: 'sum';
}

export class CounterSeries {
  readonly labels: Labels;
  value = 0;

  constructor(labels: Labels) {
    this.labels = labels;
  }
}

abstract class Family<S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly all = new Map<string, S>();

  constructor(registry: Registry, name: string, help: string) {
    this.name = name;
    this.help = help;
    registry.registerMetric(this as never);
  }

  /** The series of `key` (a string naming `labels`), made on first use. */
  series(key: string, labels: Labels): S {
    let series = this.all.get(key);
    if (series === undefined) {
      series = this.make(labels);
      this.all.set(key, series);
    }
    return series;
  }

  reset(): void {
    this.all.clear();
  }

  protected abstract make(labels: Labels): S;
}

export class CounterFamily extends Family<CounterSeries> {
  readonly type = 'counter' as const;

  protected make(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }

  get(): MetricOut {
    const values: MetricValueOut[] = [];
    for (const series of this.all.values()) values.push({ labels: series.labels, value: series.value });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export class HistogramSeries {
  readonly labels: Labels;
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    super(registry, name, help);
    this.#bounds = bounds;
  }

  protected make(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.#bounds);
  }

  get(): MetricOut {
    const values: MetricValueOut[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.all.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({
          labels: { ...series.labels, le: String(this.#bounds[i]) },
          value: cumulative,
          metricName: bucket,
        });
      }
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: bucket });
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
