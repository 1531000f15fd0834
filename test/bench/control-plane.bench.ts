/**
 * The control-plane section (`pnpm bench control-plane`): Admin API writes per second on
 * PostgreSQL while data planes are connected (each write becomes a delta to every one of them),
 * on the run's hybrid cluster with its background routes. Concurrent clients create one route
 * each per request (POST /services/bench/routes) for a fixed time; then the time until every
 * data plane has applied the last write.
 */

import { Pool } from 'undici';
import type { HybridCluster } from './hybrid-cluster.ts';
import { describe, distribution, ms, type Report } from './report.ts';
import { appliedAt } from './sync-fixtures.ts';

export interface ControlPlanePlan {
  readonly background: number;
  readonly dataPlanes: number;
  readonly clients: number;
  readonly seconds: number;
}

export const FULL_CONTROL_PLANE: ControlPlanePlan = {
  background: 10_000,
  dataPlanes: 20,
  clients: 16,
  seconds: 10,
};
export const QUICK_CONTROL_PLANE: ControlPlanePlan = {
  background: 10_000,
  dataPlanes: 3,
  clients: 8,
  seconds: 3,
};

const TARGET_WRITES_PER_SECOND = 1_000;

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
  report.add(`  after the last write: every DP applied it`, `${ms(caughtUp)} later`, '');
  report.skip('config db_import of 50,000 entities', '≤ 20 s, progress shown', 'not measured yet');
}
