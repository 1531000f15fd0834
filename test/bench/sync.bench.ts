/**
 * The sync section (`pnpm bench sync`): config sync from the control plane to data planes.
 *
 * On the run's hybrid cluster (hybrid-cluster.ts: PostgreSQL, one control plane process, data
 * plane processes over mutual TLS) the figures that cross processes: propagation of one Admin
 * API write to 1/5/20 data planes with 10,000 routes loaded (figure 1) and a dead data plane
 * shown offline (figure 6); then, with those processes idle, the in-process figures: bytes on
 * the wire (2), the snapshot encode and the event loop meanwhile (2b, sync-encode.ts) and the
 * apply path (3: snapshot apply, one-route delta, event-loop stall).
 * Data plane memory is the memory section's, cold boot from cache the startup section's.
 * Each figure is printed next to its target (issue 14, BENCH-BASELINE.md) with met/missed.
 * The background routes are written through the DAO in concurrent batches: `POST /config`
 * would write them in one transaction, several times slower, and loading must not dominate.
 */

import { startDataPlaneNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import type { HybridCluster } from './hybrid-cluster.ts';
import { Budget, describe, distribution, median, ms, type Report } from './report.ts';
import { encodeFigures } from './sync-encode.ts';
import { appliedAt, listedDataPlanes, nodeIdOf, Probe, storedRoute } from './sync-fixtures.ts';
import { startFleet } from './sync-fleet.ts';
import {
  deltaApplyFigures,
  type EntityTemplates,
  snapshotApplyFigures,
  stallFigure,
  wireFigures,
} from './sync-inprocess.ts';

export interface SyncPlan {
  readonly background: number;
  /** The largest configuration of the in-process figures. */
  readonly big: number;
  readonly dpCounts: readonly number[];
  readonly writes: number;
  readonly sizes: readonly number[];
  readonly snapshotRuns: number;
  readonly deltaRuns: number;
  readonly stallDeltas: number;
  /** Snapshot encodes per size (figure 2b: encode time and the event-loop stall meanwhile). */
  readonly encodeRuns: number;
  readonly deadDps: number;
  /** Simulated data planes in this process (sync-fleet.ts), and the writes they must all Ack. */
  readonly fleet: number;
  readonly fleetWrites: number;
  readonly budgetMs: number;
}

export const FULL_SYNC: SyncPlan = {
  background: 10_000,
  big: 50_000,
  dpCounts: [1, 5, 20],
  writes: 30,
  sizes: [1_000, 10_000, 50_000],
  snapshotRuns: 3,
  deltaRuns: 20,
  stallDeltas: 5,
  encodeRuns: 5,
  deadDps: 2,
  fleet: 1_000,
  fleetWrites: 20,
  budgetMs: 300_000,
};

export const QUICK_SYNC: SyncPlan = {
  background: 10_000,
  big: 10_000,
  dpCounts: [1, 3],
  writes: 8,
  sizes: [1_000, 10_000],
  snapshotRuns: 2,
  deltaRuns: 10,
  stallDeltas: 3,
  encodeRuns: 3,
  deadDps: 0,
  fleet: 1_000,
  fleetWrites: 5,
  budgetMs: 80_000,
};

/** How often each data plane's proxy is asked whether a new route is served yet. */
const POLL_MS = 2;
/** Writes in the propagation figure so far: each takes a path no route served before. */
let writesSoFar = 0;

/**
 * Figure 1: Admin API write (one route) → served by every data plane, for each DP count, with
 * the background routes loaded. Two clocks per write, the slowest DP each: "served" is the
 * first 200 from its proxy (polled every POLL_MS), "applied" is its "configuration applied"
 * log line, written after the cache file and just before the Ack.
 */
async function measurePropagation(report: Report, cluster: HybridCluster, plan: SyncPlan, budget: Budget) {
  // What the in-process figures after propagation need, kept back from the budget.
  const reserve = plan.budgetMs / 4;
  for (const count of plan.dpCounts) {
    const label = `${count} DP${count === 1 ? '' : 's'}, ${plan.background / 1000}k routes`;
    const judged = count === 20;
    if (budget.exhausted(60_000)) {
      report.skip(
        `write → served by every DP's proxy, ${label}`,
        judged ? 'p99 ≤ 100 ms' : '',
        'time budget spent',
      );
      continue;
    }
    const dps = await cluster.ensureDataPlanes(count);
    const probes = dps.map((dp) => new Probe(dp.proxyUrl));
    const served: number[] = [];
    const applied: number[] = [];
    const admin: number[] = [];
    try {
      for (let w = 0; w < plan.writes && !budget.exhausted(reserve / 2); w++) {
        const n = writesSoFar++;
        // A trailing slash, so that /w/1/ is no prefix of /w/10/: each write is a path no route served before.
        const path = `/w/${n}/`;
        const wallStart = Date.now();
        const t0 = performance.now();
        const servedBy = Promise.all(probes.map((p) => p.firstOkAt(`${path}probe`, POLL_MS, 60_000)));
        const res = await http('POST', `${cluster.cp.adminUrl}/services/bench/routes`, {
          name: `w-${n}`,
          paths: [path],
        });
        if (res.status !== 201) throw new Error(`route write refused: ${res.status} ${res.text}`);
        admin.push(performance.now() - t0);
        const written = await cluster.currentVersion();
        const appliedBy = await Promise.all(dps.map((dp) => appliedAt(dp, written, 60_000)));
        served.push(Math.max(...(await servedBy)) - t0);
        applied.push(Math.max(...appliedBy) - wallStart);
      }
    } finally {
      await Promise.all(probes.map((p) => p.close()));
    }
    const servedAll = distribution(served);
    const appliedAll = distribution(applied);
    report.add(
      `write → served by every DP's proxy, ${label}`,
      `${describe(servedAll)}; the Admin API answered in ${ms(median(admin))} (median)`,
      judged ? 'p99 ≤ 100 ms' : '',
      judged ? servedAll.p99 <= 100 : undefined,
    );
    report.add(
      `write → applied + Ack due on every DP, ${label}`,
      describe(appliedAll),
      judged ? 'p99 ≤ 100 ms' : '',
      judged ? appliedAll.p99 <= 100 : undefined,
    );
  }
}

/** Figure 6: SIGKILL a data plane; time until /clustering/data-planes lists it offline. */
async function measureDeadDataPlane(report: Report, cluster: HybridCluster, runs: number): Promise<void> {
  const figure = 'dead DP (SIGKILL) shown offline in /clustering/data-planes';
  if (runs === 0) {
    report.skip(figure, '≤ 15 s', '--quick');
    return;
  }
  const seen: number[] = [];
  for (let run = 0; run < runs; run++) {
    await using dp = await startDataPlaneNode(cluster.cp.clusterPort, cluster.certs);
    const id = await nodeIdOf(dp.prefix);
    await eventually(
      () => listedDataPlanes(cluster.cp.adminUrl),
      (list) => list.some((d) => d.id === id && d.sync_status === 'normal'),
      120_000,
    );
    const t0 = performance.now();
    dp.child.kill('SIGKILL');
    await eventually(
      () => listedDataPlanes(cluster.cp.adminUrl),
      (list) => list.some((d) => d.id === id && d.sync_status === 'offline'),
      60_000,
    );
    seen.push(performance.now() - t0);
  }
  report.add(
    figure,
    `max ${ms(Math.max(...seen))} (n=${seen.length}, polled every 20 ms)`,
    '≤ 15 s',
    Math.max(...seen) <= 15_000,
  );
}

/** The whole section on the run's cluster (its data planes stay for the control-plane section). */
export async function syncSection(report: Report, cluster: HybridCluster, plan: SyncPlan): Promise<void> {
  const budget = new Budget(plan.budgetMs);
  console.log(
    `  ${plan.dpCounts.join('/')} data planes (worker_processes 1 each), ${plan.background.toLocaleString('en')} routes`,
  );
  const loaded = await cluster.ensureBackground(plan.background);
  if (loaded !== undefined) report.note(loaded);

  await measurePropagation(report, cluster, plan, budget);

  // A route written through the Admin API, as the control plane stores and sends it.
  const { store, cp } = cluster;
  const lastWrite = await storedRoute(store.dao, 'w-0').catch(() => storedRoute(store.dao, 'bg-0'));
  const templates: EntityTemplates = {
    service: (await store.dao.entity('services').get('bench')) as Record<string, unknown>,
    route: await storedRoute(store.dao, 'bg-0'),
  };
  const cpStatus = (await http('GET', `${cp.statusUrl}/status`)).body as {
    control_plane: { config_version: number; config_hash: string };
  };
  await measureDeadDataPlane(report, cluster, plan.deadDps);

  console.log('  on the wire and apply, in process');
  await wireFigures(report, templates, plan.sizes, {
    change: { entity: 'routes', id: lastWrite.id, op: 'upsert', value: lastWrite },
    version: cpStatus.control_plane.config_version,
    hash: cpStatus.control_plane.config_hash,
  });
  await encodeFigures(report, templates, plan.sizes, plan.encodeRuns);
  await snapshotApplyFigures(report, templates, plan.sizes, plan.snapshotRuns);
  const deltaSizes = plan.big === plan.background ? [plan.background] : [plan.background, plan.big];
  await deltaApplyFigures(report, templates, deltaSizes, plan.deltaRuns, budget);
  await stallFigure(report, templates, plan.big, plan.stallDeltas);
  if (plan.big < 50_000)
    report.skip('one-route delta apply and stall, 50,000 routes', 'p99 ≤ 5 ms; stall ≤ 1 ms', '--quick');
  report.skip('a DP rejection (NACK) visible in the Admin API', '≤ 1 s', 'not measured yet');
  await measureFleet(report, cluster, plan);
}

/** Figure 1b: Admin API write → Acked by every one of many simulated data planes (sync-fleet.ts). */
async function measureFleet(report: Report, cluster: HybridCluster, plan: SyncPlan): Promise<void> {
  const { cp } = cluster;
  const status = async () =>
    (
      (await http('GET', `${cp.statusUrl}/status`)).body as {
        control_plane: { config_version: number; config_hash: string };
      }
    ).control_plane;
  const at = await status();
  const t0 = performance.now();
  await using fleet = await startFleet({
    clusterPort: cp.clusterPort,
    certs: cluster.certs,
    count: plan.fleet,
    connections: 20,
    version: at.config_version,
    hash: at.config_hash,
  });
  const write = async () => {
    const n = writesSoFar++;
    const started = performance.now();
    const res = await http('POST', `${cp.adminUrl}/services/bench/routes`, {
      name: `w-${n}`,
      paths: [`/w/${n}/`],
    });
    if (res.status !== 201) throw new Error(`route write refused: ${res.status} ${res.text}`);
    const version = await cluster.currentVersion();
    return (await fleet.ackedBy(version, 120_000)) - started;
  };
  // A first write, not counted, reaches every stream once it is registered.
  const warmUp = await write();
  const connected = performance.now() - t0;
  const acked: number[] = [];
  for (let w = 0; w < plan.fleetWrites; w++) acked.push(await write());
  const all = distribution(acked);
  const label = `${plan.fleet.toLocaleString('en')} simulated DPs`;
  const judged = plan.fleet >= 1_000;
  report.add(
    `write → ACKed by ${label} (one process, ${plan.fleet / 20} streams on each of 20 connections)`,
    `${describe(all)}; connecting them and a first write Acked by all took ${ms(connected)} (that write: ${ms(warmUp)})`,
    judged ? 'p99 ≤ 1 s' : '',
    judged ? all.p99 <= 1_000 : undefined,
  );
}
