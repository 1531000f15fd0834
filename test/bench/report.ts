/**
 * Figures and targets for every section of the benchmark: small statistics, formatting, a row
 * per figure with its verdict against the target, and the tables.
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

/** value ÷ base; NaN when either side is missing. */
export function ratio(value: number, base: number): number {
  return Number.isFinite(value) && Number.isFinite(base) && base !== 0 ? value / base : Number.NaN;
}

export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Requests per second, short: `52.4k`. */
export function rate(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);
}

/** `met` / `missed` against a target; `info` for a figure without a target of its own. */
export type Verdict = 'met' | 'missed' | 'info' | 'skipped';

export interface Row {
  figure: string;
  measured: string;
  target: string;
  verdict: Verdict;
}

export function verdict(pass: boolean | undefined): Verdict {
  if (pass === undefined) return 'info';
  return pass ? 'met' : 'missed';
}

/** Renders rows as a Markdown table (which reads as a plain-text table on a terminal too). */
export function markdownTable(rows: readonly Row[]): string {
  const header: Row = { figure: 'figure', measured: 'measured', target: 'target', verdict: 'info' };
  const all = [header, ...rows];
  const widths = {
    figure: Math.max(...all.map((r) => r.figure.length)),
    measured: Math.max(...all.map((r) => r.measured.length)),
    target: Math.max(...all.map((r) => r.target.length)),
  };
  const line = (r: Row, v: string) =>
    `| ${r.figure.padEnd(widths.figure)} | ${r.measured.padEnd(widths.measured)} | ${r.target.padEnd(widths.target)} | ${v.padEnd(7)} |`;
  const rule = `|${'-'.repeat(widths.figure + 2)}|${'-'.repeat(widths.measured + 2)}|${'-'.repeat(widths.target + 2)}|---------|`;
  return [line(header, 'result'), rule, ...rows.map((r) => line(r, r.verdict))].join('\n');
}

/**
 * One section's figures: rows as they complete (each printed at once), notes, and the table at
 * the end. Printing only; nothing here asserts, and a missed target never fails a run.
 */
export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  /** Extra Markdown (e.g. a per-target table) for the results file, after the rows. */
  readonly extras: string[] = [];

  readonly title: string;

  constructor(title = '') {
    this.title = title;
  }

  add(figure: string, measured: string, target: string, pass?: boolean): void {
    const row: Row = { figure, measured, target, verdict: verdict(pass) };
    this.rows.push(row);
    console.log(
      `  ${row.verdict.padEnd(7)} ${figure}: ${measured}${target === '' ? '' : `  [target ${target}]`}`,
    );
  }

  /** A figure measured against a target, or skipped with the reason when it could not be. */
  skip(figure: string, target: string, why: string): void {
    this.rows.push({ figure, measured: `skipped: ${why}`, target, verdict: 'skipped' });
    console.log(`  skipped ${figure}: ${why}`);
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`  note: ${text}`);
  }

  extra(markdown: string): void {
    this.extras.push(markdown);
  }

  table(): string {
    return markdownTable(this.rows);
  }

  counts(): Record<Verdict, number> {
    const counts: Record<Verdict, number> = { met: 0, missed: 0, info: 0, skipped: 0 };
    for (const row of this.rows) counts[row.verdict]++;
    return counts;
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
