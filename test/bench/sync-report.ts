/**
 * Figures and targets for the config sync benchmark: small statistics, a row per figure, and
 * the final table. Printing only; nothing here asserts.
 */

/** The value at quantile q (0..1) of the samples, nearest-rank; NaN when there are none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

export interface Distribution {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function distribution(samples: readonly number[]): Distribution {
  return {
    n: samples.length,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(0)} ms`;
}

export function bytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value < 10_000) return `${value.toFixed(0)} B`;
  if (value < 10_000_000) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

export function mib(value: number): string {
  return Number.isFinite(value) ? `${(value / 1024 / 1024).toFixed(0)} MB` : 'n/a';
}

export function describe(d: Distribution): string {
  return `p50 ${ms(d.p50)}  p99 ${ms(d.p99)}  max ${ms(d.max)}  (n=${d.n})`;
}

/** PASS / MISS against a target, or `info` for a figure that has no target of its own. */
export type Verdict = 'PASS' | 'MISS' | 'info' | 'skipped';

export interface Row {
  figure: string;
  measured: string;
  target: string;
  verdict: Verdict;
}

export function verdict(pass: boolean | undefined): Verdict {
  if (pass === undefined) return 'info';
  return pass ? 'PASS' : 'MISS';
}

/** Collects rows as figures complete, prints each at once, and the whole table at the end. */
export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];

  add(figure: string, measured: string, target: string, pass?: boolean): void {
    const row: Row = { figure, measured, target, verdict: verdict(pass) };
    this.rows.push(row);
    console.log(
      `  ${row.verdict.padEnd(7)} ${figure}: ${measured}${target === '' ? '' : `  [target ${target}]`}`,
    );
  }

  skip(figure: string, target: string, why: string): void {
    this.rows.push({ figure, measured: why, target, verdict: 'skipped' });
    console.log(`  skipped ${figure}: ${why}`);
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`  note: ${text}`);
  }

  table(): string {
    const header: Row = { figure: 'figure', measured: 'measured', target: 'target', verdict: 'info' };
    const widths = {
      figure: Math.max(...[header, ...this.rows].map((r) => r.figure.length)),
      measured: Math.max(...[header, ...this.rows].map((r) => r.measured.length)),
      target: Math.max(...[header, ...this.rows].map((r) => r.target.length)),
    };
    const line = (r: Row, v: string) =>
      `| ${r.figure.padEnd(widths.figure)} | ${r.measured.padEnd(widths.measured)} | ${r.target.padEnd(widths.target)} | ${v.padEnd(7)} |`;
    const rule = `|${'-'.repeat(widths.figure + 2)}|${'-'.repeat(widths.measured + 2)}|${'-'.repeat(widths.target + 2)}|---------|`;
    return [line(header, 'result'), rule, ...this.rows.map((r) => line(r, r.verdict))].join('\n');
  }
}

/** A soft deadline: figures check it between iterations and stop early instead of overrunning. */
export class Budget {
  readonly #endsAt: number;

  constructor(totalMs: number) {
    this.#endsAt = performance.now() + totalMs;
  }

  remainingMs(): number {
    return this.#endsAt - performance.now();
  }

  exhausted(reserveMs = 0): boolean {
    return this.remainingMs() <= reserveMs;
  }
}
