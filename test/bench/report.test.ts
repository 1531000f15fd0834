import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdownTable, quantile, Report, rate, ratio, verdict } from './report.ts';

test('a figure with a target is met or missed; one without is info', () => {
  assert.equal(verdict(true), 'met');
  assert.equal(verdict(false), 'missed');
  assert.equal(verdict(undefined), 'info');
});

test('a ratio with a missing side is NaN, and NaN against a target is missed, never met', () => {
  assert.ok(Number.isNaN(ratio(10, Number.NaN)));
  assert.ok(Number.isNaN(ratio(10, 0)));
  assert.equal(verdict(ratio(10, Number.NaN) >= 0.6), 'missed');
});

test('quantiles are nearest-rank', () => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(samples, 0.5), 50);
  assert.equal(quantile(samples, 0.99), 99);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('a report counts its verdicts and renders a Markdown table with one row per figure', () => {
  const report = new Report('t');
  const log = console.log;
  console.log = () => {};
  try {
    report.add('a', '1', '≥ 0.6', true);
    report.add('b', '2', '≥ 0.6', false);
    report.add('c', '3', '');
    report.skip('d', '≤ 1 ms', 'hey missing');
  } finally {
    console.log = log;
  }
  assert.deepEqual(report.counts(), { met: 1, missed: 1, info: 1, skipped: 1 });
  const lines = report.table().split('\n');
  assert.equal(lines.length, 2 + 4);
  assert.match(lines[0]!, /^\| figure +\| measured +\| target +\| result +\|$/);
  assert.match(lines[5]!, /^\| d +\| skipped: hey missing \| ≤ 1 ms +\| skipped \|$/);
  assert.equal(markdownTable([]).split('\n').length, 2);
});

test('rates read as thousands', () => {
  assert.equal(rate(52_400), '52.4k');
  assert.equal(rate(950), '950');
  assert.equal(rate(Number.NaN), 'n/a');
});
