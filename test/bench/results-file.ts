/** The results file a run writes: test/bench/results/<date>.md (numbers, ratios, machine). */

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BenchArgs, SectionName } from './args.ts';
import { type Machine, machineLines } from './machine.ts';
import type { Report } from './report.ts';

export interface SectionOutcome {
  readonly name: SectionName;
  readonly report: Report;
  readonly seconds: number;
  /** Share of the machine's CPU other processes used meanwhile (0..1): the noise in its figures. */
  readonly othersCpu: number;
  /** Set when the section threw: its figures are incomplete. */
  readonly failure: string | undefined;
}

export interface RunSummary {
  readonly args: BenchArgs;
  readonly command: string;
  readonly date: Date;
  readonly machine: Machine;
  readonly sections: readonly SectionOutcome[];
  readonly totalSeconds: number;
  /** Processes found still running after the run (and then stopped): should be none. */
  readonly leftovers: readonly string[];
  /** `--note`: what the person running it wants the file to say (a busy machine…). */
  readonly note: string | undefined;
}

export function summaryTable(sections: readonly SectionOutcome[]): string {
  const lines = [
    '| section | met | missed | info | skipped | time | CPU used by other processes meanwhile |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const s of sections) {
    const c = s.report.counts();
    const time = `${s.seconds.toFixed(0)} s${s.failure === undefined ? '' : ' (failed)'}`;
    const others = Number.isFinite(s.othersCpu) ? `${(s.othersCpu * 100).toFixed(0)}%` : 'n/a';
    lines.push(`| ${s.name} | ${c.met} | ${c.missed} | ${c.info} | ${c.skipped} | ${time} | ${others} |`);
  }
  return lines.join('\n');
}

export function renderResults(run: RunSummary): string {
  const mode = run.args.quick ? 'quick run (`--quick`: fewer, shorter repetitions)' : 'full run';
  const out = [
    `# Turnpike benchmark, ${run.date.toISOString().slice(0, 10)}: ${mode}`,
    '',
    `\`${run.command}\`, ${run.date.toISOString()}, ${(run.totalSeconds / 60).toFixed(1)} minutes.`,
    '',
    'Figures drift by 10–25% from run to run on a shared machine: compare the ratios within this run, ' +
      'not absolute numbers across runs. A missed target is a reading, not a test failure.',
  ];
  if (run.note !== undefined) out.push('', `**Note:** ${run.note}`);
  out.push(
    '',
    '## Machine',
    '',
    ...machineLines(run.machine),
    '',
    '## Summary',
    '',
    summaryTable(run.sections),
  );
  out.push(
    '',
    run.leftovers.length === 0
      ? 'Every process the run started was stopped (checked after the run).'
      : `Still running after the run, then stopped: ${run.leftovers.join('; ')}.`,
  );
  for (const s of run.sections) {
    out.push('', `## ${s.name}: ${s.report.title}`, '');
    if (s.failure !== undefined) out.push(`**The section failed:** ${s.failure}`, '');
    out.push(s.report.table());
    for (const extra of s.report.extras) out.push('', extra);
    if (s.report.notes.length > 0) out.push('', ...s.report.notes.map((n) => `- ${n}`));
  }
  return `${out.join('\n')}\n`;
}

export async function writeResults(path: string, run: RunSummary): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderResults(run));
}
