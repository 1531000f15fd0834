/**
 * The control-plane section (`pnpm bench control-plane`): Admin API writes per second on
 * PostgreSQL while data planes are connected (each write becomes a delta to every one of them),
 * on the run's hybrid cluster with its background routes. Concurrent clients create one route
 * each per request (POST /services/bench/routes) for a fixed time; then the time until every
 * data plane has applied the last write.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { runTurnpike } from '../helpers/turnpike.ts';
import { datastoreWriteRates } from './datastore-writes.ts';
import type { HybridCluster } from './hybrid-cluster.ts';
import { processTicks } from './machine.ts';
import { describe, distribution, ms, type Report } from './report.ts';
import { appliedAt } from './sync-fixtures.ts';

export interface ControlPlanePlan {
  readonly background: number;
  readonly dataPlanes: number;
  readonly clients: number;
  readonly seconds: number;
  /** Entities in the file `config db_import` loads into an empty database. */
  readonly importEntities: number;
}

export const FULL_CONTROL_PLANE: ControlPlanePlan = {
  background: 10_000,
  dataPlanes: 20,
  clients: 16,
  seconds: 10,
  importEntities: 50_000,
};
export const QUICK_CONTROL_PLANE: ControlPlanePlan = {
  background: 10_000,
  dataPlanes: 3,
  clients: 8,
  seconds: 3,
  importEntities: 10_000,
};

const TARGET_WRITES_PER_SECOND = 1_000;
const IMPORT_TARGET = { entities: 50_000, seconds: 20 };

/** A declarative file of `entities` entities: services with nine routes each. */
function importFile(entities: number): string {
  const lines = ['_format_version: "3.0"', 'services:'];
  for (let s = 0; s < entities / 10; s++) {
    lines.push(`- name: import-${s}`, `  url: http://import-${s}.test:8080/`, '  routes:');
    for (let r = 0; r < 9; r++) lines.push(`  - name: import-${s}-${r}`, `    paths: [/import/${s}/${r}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** `turnpike config db_import` of a generated file into a fresh database, as a user runs it. */
async function importRow(report: Report, cluster: HybridCluster, entities: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-bench-import-'));
  try {
    const file = join(dir, 'kong.yml');
    await writeFile(file, importFile(entities));
    const env = {
      TURNPIKE_DSN: await cluster.newDatabase(),
      TURNPIKE_SECRETS_DEFAULT: 'bench-import-secret',
    };
    const boot = await runTurnpike(['migrations', 'bootstrap'], env);
    if (boot.code !== 0) throw new Error(`migrations bootstrap failed: ${boot.stderr}`);
    const t0 = performance.now();
    const run = await runTurnpike(['config', 'db_import', file], env);
    const seconds = (performance.now() - t0) / 1000;
    if (run.code !== 0) throw new Error(`config db_import failed: ${run.stderr}`);
    const progress = run.stdout.split('\n').filter((l) => l.startsWith('imported '));
    const last = progress.at(-1) ?? '';
    const shown = progress.length > 0 && last.includes(`${entities.toLocaleString('en')}/`);
    const target = entities === IMPORT_TARGET.entities;
    report.add(
      `config db_import of ${entities.toLocaleString('en')} entities (services + routes), into an empty database`,
      `${seconds.toFixed(1)} s, start to exit (${Math.round(entities / seconds).toLocaleString('en')} entities/s); progress: ${progress.length} lines, the last "${last}"`,
      target ? `≤ ${IMPORT_TARGET.seconds} s, progress shown` : '',
      target ? seconds <= IMPORT_TARGET.seconds && shown : undefined,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function controlPlaneSection(
  report: Report,
  cluster: HybridCluster,
  plan: ControlPlanePlan,
): Promise<void> {
  const loaded = await cluster.ensureBackground(plan.background);
  if (loaded !== undefined) report.note(loaded);
  const dps = await cluster.ensureDataPlanes(plan.dataPlanes);
  const pool = new Pool(cluster.cp.adminUrl, { connections: plan.clients });
  const latencies: number[] = [];
  let created = 0;
  let refused = 0;
  let firstRefusal = '';
  let n = 0;
  const cpPid = cluster.cp.child.pid ?? 0;
  const ticksBefore = processTicks(cpPid);
  const started = performance.now();
  const until = started + plan.seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: plan.clients }, async () => {
        while (performance.now() < until) {
          const i = n++;
          const t0 = performance.now();
          const { statusCode, body } = await pool.request({
            method: 'POST',
            path: '/services/bench/routes',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: `cp-bench-${i}`, paths: [`/cp-bench/${i}/`] }),
          });
          const text = await body.text();
          latencies.push(performance.now() - t0);
          if (statusCode === 201) created++;
          else {
            refused++;
            if (firstRefusal === '') firstRefusal = `${statusCode} ${text.slice(0, 200)}`;
          }
        }
      }),
    );
  } finally {
    await pool.close();
  }
  const elapsed = (performance.now() - started) / 1000;
  const perSecond = created / elapsed;
  // Clock ticks are 10 ms (CLK_TCK 100): over seconds of writes that is precise enough.
  const cpCpuMs = (processTicks(cpPid) - ticksBefore) * 10;
  const writtenAt = performance.now();
  const version = await cluster.currentVersion();
  await Promise.all(dps.map((dp) => appliedAt(dp, version, 120_000)));
  const caughtUp = performance.now() - writtenAt;
  report.add(
    `Admin API writes/s on PostgreSQL, ${dps.length} DPs connected, ${cluster.background.toLocaleString('en')}+ routes`,
    `${perSecond.toFixed(0)}/s (${created} routes created in ${elapsed.toFixed(1)} s by ${plan.clients} concurrent clients${refused > 0 ? `; ${refused} refused, first: ${firstRefusal}` : ''})`,
    `≥ ${TARGET_WRITES_PER_SECOND.toLocaleString('en')}/s`,
    perSecond >= TARGET_WRITES_PER_SECOND,
  );
  report.add('  one write, as its client saw it', describe(distribution(latencies)), '');
  if (created > 0) {
    const perWrite = cpCpuMs / created;
    report.add(
      '  the control plane process: CPU per write',
      `${perWrite.toFixed(2)} ms (${(cpCpuMs / 1000).toFixed(1)} s of CPU for ${created} writes; one free core would take ${Math.round(1000 / perWrite).toLocaleString('en')} writes/s; PostgreSQL's own CPU is not counted)`,
      '',
    );
  }
  report.add(`  after the last write: every DP applied it`, `${ms(caughtUp)} later`, '');
  const rates = await datastoreWriteRates(await cluster.newDatabase(), {
    writers: 10,
    ms: plan.seconds * 300,
    repetitions: 3,
  });
  report.add(
    '  the datastore alone: one route row and its change per transaction',
    `${Math.round(rates.atCommit).toLocaleString('en')}/s with the config version taken at commit; ${Math.round(rates.midTransaction).toLocaleString('en')}/s taking it mid-transaction as before (${rates.writers} writers, alternating, medians of 3)`,
    '',
  );
  await importRow(report, cluster, plan.importEntities);
}
