/**
 * The memory section (`pnpm bench memory`): RSS and PSS of every process of a node, from
 * /proc/<pid>/smaps_rollup, idle and with routes loaded, against issue 14's targets:
 * - `npm start`'s node: traditional, embedded datastore in memory, 1 worker, idle;
 * - a data plane with 1 worker: idle, 10,000 and 50,000 routes (synced from a control plane);
 * - each additional worker: a 2-worker data plane beside it, following the same control plane
 *   (its forked workers' mean; a 1-worker data plane proxies in its main process, forking none);
 * - the control plane on PostgreSQL: idle, and holding 50,000 entities;
 * - a DB-less traditional node (`database = off`), 1 worker, serving a kong.yml of 1,000 routes
 *   (issue 19's target is the RSS sum: ≤ 120 MB).
 * A node's figure is the sum over its processes. The verdict uses the PSS sum: shared pages
 * (the node binary, libraries) counted once for the node, which is what the node costs the
 * machine; the RSS sum, which counts them once per process, is shown beside it.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { genClusterCert, startControlPlaneNode, startDataPlaneNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startTurnpike } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { spawnDblessNode, writeDblessFile } from './dbless-node.ts';
import { type TreeMemory, treeMemory } from './processes.ts';
import { mib, type Report } from './report.ts';
import { appliedAt, openBenchStore, Probe } from './sync-fixtures.ts';

export interface MemoryPlan {
  /** Route counts the data planes are measured at, after idle. */
  readonly loads: readonly number[];
  /** How long a node is left alone before it is measured. */
  readonly settleMs: number;
}

export const FULL_MEMORY: MemoryPlan = { loads: [10_000, 50_000], settleMs: 3_000 };
export const QUICK_MEMORY: MemoryPlan = { loads: [10_000], settleMs: 3_000 };

const MB = 1024 * 1024;

/** `PSS 95 MB (main 60 + worker 35); RSS 140 MB summed; peak RSS main 120 MB`. */
function describeTree(m: TreeMemory): string {
  const [main, ...rest] = m.processes;
  const parts = [
    `main ${mib(main?.pss ?? Number.NaN)}`,
    ...rest.map((p, i) => `worker${rest.length > 1 ? ` ${i + 1}` : ''} ${mib(p.pss)}`),
  ];
  const rss = m.processes.map((p) => mib(p.rss)).join(' + ');
  const peak = m.processes.map((p) => mib(p.peakRss)).join(' + ');
  return `PSS ${mib(m.pss)} (${parts.join(' + ')}); RSS ${mib(m.rss)} summed (${rss}); peak RSS ${peak}`;
}

function row(report: Report, figure: string, m: TreeMemory, limitMb: number | undefined): void {
  report.add(
    figure,
    describeTree(m),
    limitMb === undefined ? '' : `≤ ${limitMb} MB`,
    limitMb === undefined ? undefined : m.pss <= limitMb * MB,
  );
}

/** `npm start`'s node: `turnpike start` with the defaults (traditional, dsn = memory), 1 worker. */
async function traditionalIdle(report: Report, plan: MemoryPlan): Promise<void> {
  const [proxy, admin, status] = [await freePort(), await freePort(), await freePort()];
  await using node = await startTurnpike({
    env: {
      TURNPIKE_ROLE: 'traditional',
      TURNPIKE_DSN: 'memory',
      TURNPIKE_WORKER_PROCESSES: '1',
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
    },
  });
  await sleep(plan.settleMs);
  row(
    report,
    '`npm start`: traditional, embedded (dsn = memory), 1 worker, idle',
    await treeMemory(node.child.pid!),
    200,
  );
}

/** The data planes and the control plane, idle then with each load. */
async function hybridNodes(report: Report, plan: MemoryPlan): Promise<void> {
  await using pg = await startPostgres();
  await using certs = await genClusterCert();
  await using upstream = await startEchoUpstream('memory-bench');
  await using cp = await startControlPlaneNode(pg.dsn, certs);
  await using store = await openBenchStore(pg.dsn, upstream.url);
  await using one = await startDataPlaneNode(cp.clusterPort, certs, {
    env: { TURNPIKE_WORKER_PROCESSES: '1' },
  });
  await using two = await startDataPlaneNode(cp.clusterPort, certs, {
    env: { TURNPIKE_WORKER_PROCESSES: '2' },
  });
  const cpTarget: Record<number, number> = { 0: 120, 50000: 300 };
  const dpTarget: Record<number, number> = { 0: 80, 10000: 150, 50000: 400 };

  let loaded = 0;
  for (const routes of [0, ...plan.loads]) {
    if (routes > loaded) {
      const t0 = performance.now();
      await store.addBackgroundRoutes(loaded, routes);
      const version = await store.dao.configVersion();
      await Promise.all([appliedAt(one, version, 300_000), appliedAt(two, version, 300_000)]);
      report.note(
        `${routes.toLocaleString('en')} routes loaded through the DAO and applied by both data planes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      loaded = routes;
    }
    await sleep(plan.settleMs);
    const label = routes === 0 ? 'idle' : `${routes.toLocaleString('en')} routes`;
    const [cpMemory, oneMemory, twoMemory] = await Promise.all([
      treeMemory(cp.child.pid!),
      treeMemory(one.child.pid!),
      treeMemory(two.child.pid!),
    ]);
    row(report, `data plane, 1 worker, ${label}`, oneMemory, dpTarget[routes]);
    // A 1-worker data plane runs its worker in its main process; a 2-worker one forks both.
    const forked = twoMemory.processes.slice(1);
    const perWorker = forked.reduce((sum, p) => sum + p.pss, 0) / Math.max(1, forked.length);
    report.add(
      `each additional worker, ${label} (a forked worker of the 2-worker data plane, mean)`,
      `PSS ${mib(perWorker)} (the 2-worker node: ${describeTree(twoMemory)})`,
      routes === 0 ? '≤ 40 MB' : '',
      routes === 0 ? perWorker <= 40 * MB : undefined,
    );
    report.add(
      `from 1 to 2 workers, ${label} (2-worker data plane − 1-worker one)`,
      `PSS ${mib(twoMemory.pss - oneMemory.pss)} (the 1-worker node proxies in its main process; the 2-worker one forks two workers)`,
      '',
    );
    const cpLabel =
      routes === 0 ? 'idle' : `${(routes + 1).toLocaleString('en')} entities (${label} + 1 service)`;
    row(report, `control plane on PostgreSQL, ${cpLabel}`, cpMemory, cpTarget[routes]);
  }
  if (!plan.loads.includes(50_000)) {
    report.skip('data plane, 1 worker, 50,000 routes', '≤ 400 MB', '--quick');
    report.skip('control plane on PostgreSQL, 50,000 entities', '≤ 300 MB', '--quick');
  }
}

/** DB-less: a traditional node with database = off, 1 worker, serving 1,000 routes from kong.yml. */
async function dblessNode(report: Report, plan: MemoryPlan): Promise<void> {
  await using upstream = await startEchoUpstream('memory-dbless');
  await using file = await writeDblessFile(1_000, upstream.url);
  const prefix = await mkdtemp(join(tmpdir(), 'turnpike-bench-dbless-prefix-'));
  try {
    const spawned = await spawnDblessNode(file.path, prefix);
    await using node = await spawned.started;
    const probe = new Probe(spawned.proxyUrl);
    try {
      await probe.firstOkAt(file.lastRoute, 10, 60_000);
    } finally {
      await probe.close();
    }
    await sleep(plan.settleMs);
    const m = await treeMemory(node.child.pid!);
    report.add(
      'DB-less traditional node (database = off), 1 worker, 1,000 routes from kong.yml',
      describeTree(m),
      '≤ 120 MB RSS summed',
      m.rss <= 120 * MB,
    );
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}

export async function memorySection(report: Report, plan: MemoryPlan): Promise<void> {
  await traditionalIdle(report, plan);
  await dblessNode(report, plan);
  await hybridNodes(report, plan);
  report.note(
    "verdicts use the PSS sum over the node's processes (shared pages counted once); the RSS sum counts shared pages once per process",
  );
  report.note("the control plane figures exclude PostgreSQL itself (its own processes, not the node's)");
}
