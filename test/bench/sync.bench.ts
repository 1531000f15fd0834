/**
 * Config sync benchmark: `scripts/toolchain.sh node test/bench/sync.bench.ts [--quick] [--workers N]`.
 *
 * A real cluster on 127.0.0.1 (PostgreSQL, one control plane process, data plane processes over
 * mutual TLS) for the figures that cross processes — propagation (1), DP memory (4), cold boot
 * from cache (5), dead DP shown offline (6) — then, with every process stopped, the in-process
 * figures: bytes on the wire (2) and the apply path (3). Each figure is printed next to its
 * target from BENCH-BASELINE.md with PASS/MISS, for information: nothing here asserts.
 * Bounded: about 10 minutes in full, 2 with --quick (fewer DPs and writes, no 50k routes);
 * `--encode` runs the snapshot encode figure (2b) alone, in process, in a few seconds.
 * The background routes are written through the DAO in concurrent batches: `POST /config` would
 * write them in one transaction, several times slower, and loading must not dominate the run.
 */

import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { encodeFigures, storedShape } from './sync-encode.ts';
import {
  appliedAt,
  type BenchStore,
  listedDataPlanes,
  nodeIdOf,
  nodeMemory,
  nodeStatus,
  openBenchStore,
  Probe,
  spawnDataPlane,
  storedRoute,
} from './sync-fixtures.ts';
import {
  deltaApplyFigures,
  type EntityTemplates,
  snapshotApplyFigures,
  stallFigure,
  wireFigures,
} from './sync-inprocess.ts';
import { Budget, describe, distribution, median, mib, ms, Report } from './sync-report.ts';

const QUICK = process.argv.includes('--quick');
/** `--encode`: only the snapshot encode figure (2b), in process, without a cluster: a few seconds. */
const ENCODE_ONLY = process.argv.includes('--encode');
/**
 * `worker_processes` of the propagation data planes (`--workers N`, default 1): N data planes
 * already share this machine's cores, so more workers each would only lengthen the CPU queue.
 * The memory and cold-boot data planes keep the default.
 */
const WORKERS_ARG = process.argv.indexOf('--workers');
const PROPAGATION_WORKERS = WORKERS_ARG === -1 ? '1' : (process.argv[WORKERS_ARG + 1] ?? '1');

const PLAN = QUICK
  ? {
      background: 10_000,
      big: undefined,
      dpCounts: [1, 5],
      writes: 10,
      sizes: [1_000, 10_000],
      snapshotRuns: 2,
      deltaRuns: 10,
      stallDeltas: 3,
      encodeRuns: 3,
      coldBoots: 1,
      deadDps: 1,
      budgetMs: 110_000,
    }
  : {
      background: 10_000,
      big: 50_000,
      dpCounts: [1, 5, 20],
      writes: 30,
      sizes: [1_000, 10_000, 50_000],
      snapshotRuns: 3,
      deltaRuns: 20,
      stallDeltas: 5,
      encodeRuns: 5,
      coldBoots: 3,
      deadDps: 3,
      budgetMs: 570_000,
    };

/** How often each data plane's proxy is asked whether a new route is served yet. */
const POLL_MS = 2;
/** Data planes started at once: 2 cores cannot boot 15 Node processes within their start timeout. */
const START_BATCH = 3;

interface Cluster {
  readonly cp: ControlPlaneNode;
  readonly certs: ClusterCerts;
  readonly store: BenchStore;
}

async function currentVersion(cluster: Cluster): Promise<number> {
  return cluster.store.dao.configVersion();
}

/** Loads routes [from, to) through the DAO and waits until `dp` applied the result; prints the time. */
async function loadRoutes(report: Report, cluster: Cluster, dp: DataPlaneNode, from: number, to: number) {
  const t0 = performance.now();
  await cluster.store.addBackgroundRoutes(from, to);
  const written = performance.now();
  await appliedAt(dp, await currentVersion(cluster), 300_000);
  report.note(
    `loaded routes ${from}..${to - 1} through the DAO in ${ms(written - t0)}; a data plane applied them ${ms(performance.now() - written)} later`,
  );
}

/**
 * Figure 4: one data plane node's memory. The main process's RSS is what its /status reports;
 * with proxy workers, the node's total is summed over the processes (PSS counts shared pages once).
 */
async function measureMemory(report: Report, dp: DataPlaneNode, routes: number): Promise<void> {
  const memory = await nodeMemory(dp.statusUrl, dp.child.pid);
  const limits: Record<number, [string, number]> = {
    0: ['idle (empty config)', 80],
    10000: ['10,000 routes', 150],
    50000: ['50,000 routes', 400],
  };
  const [label, limitMb] = limits[routes] ?? [`${routes} routes`, Number.NaN];
  const judged = memory.workers === 0 ? memory.mainRss : memory.totalPss;
  const detail =
    memory.workers === 0
      ? mib(memory.mainRss)
      : `${mib(memory.totalPss)} PSS over main + ${memory.workers} workers (RSS: main ${mib(memory.mainRss)}, summed ${mib(memory.totalRss)})`;
  report.add(`DP memory, ${label}`, detail, `RSS ≤ ${limitMb} MB`, judged <= limitMb * 1024 * 1024);
}

/** One data plane for the propagation figure; a start that times out on a busy machine is retried once. */
async function startPropagationDataPlane(cluster: Cluster): Promise<DataPlaneNode> {
  const start = () =>
    startDataPlaneNode(cluster.cp.clusterPort, cluster.certs, {
      env: { TURNPIKE_WORKER_PROCESSES: PROPAGATION_WORKERS },
    });
  try {
    return await start();
  } catch (error) {
    console.log(
      `  a data plane did not start in time, retrying once: ${(error as Error).message.split('\n')[0]}`,
    );
    return start();
  }
}

/** Starts `count` data planes, START_BATCH at a time; every one that started is disposed by `stack`. */
async function startDataPlanes(cluster: Cluster, count: number, stack: AsyncDisposableStack) {
  const started: DataPlaneNode[] = [];
  while (started.length < count) {
    const batch = Math.min(START_BATCH, count - started.length);
    const results = await Promise.allSettled(
      Array.from({ length: batch }, () => startPropagationDataPlane(cluster)),
    );
    for (const result of results) if (result.status === 'fulfilled') started.push(stack.use(result.value));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
  return started;
}

/**
 * Figure 1: Admin API write (one route) → served by every data plane, for each DP count, with
 * the background routes loaded. Two clocks per write, the slowest DP each: "served" is the
 * first 200 from its proxy (polled every POLL_MS), "applied" is its "configuration applied"
 * log line, written after the cache file and just before the Ack.
 */
async function measurePropagation(report: Report, cluster: Cluster, budget: Budget) {
  await using stack = new AsyncDisposableStack();
  const dps: DataPlaneNode[] = [];
  let n = 0;
  for (const count of PLAN.dpCounts) {
    if (budget.exhausted(60_000)) {
      report.skip(`propagation, ${count} DPs`, '', 'time budget spent');
      continue;
    }
    dps.push(...(await startDataPlanes(cluster, count - dps.length, stack)));
    const version = await currentVersion(cluster);
    await Promise.all(dps.map((dp) => appliedAt(dp, version, 180_000)));
    const probes = dps.map((dp) => new Probe(dp.proxyUrl));
    const served: number[] = [];
    const applied: number[] = [];
    const admin: number[] = [];
    try {
      for (let w = 0; w < PLAN.writes && !budget.exhausted(30_000); w++, n++) {
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
        const written = await currentVersion(cluster);
        const appliedBy = await Promise.all(dps.map((dp) => appliedAt(dp, written, 60_000)));
        served.push(Math.max(...(await servedBy)) - t0);
        applied.push(Math.max(...appliedBy) - wallStart);
      }
    } finally {
      await Promise.all(probes.map((p) => p.close()));
    }
    const target = count === 20 ? 'p99 ≤ 100 ms' : '';
    const appliedAll = distribution(applied);
    report.add(
      `write → applied + Ack due on every DP, ${count} DP${count === 1 ? '' : 's'}, ${PLAN.background / 1000}k routes`,
      describe(appliedAll),
      target,
      count === 20 ? appliedAll.p99 <= 100 : undefined,
    );
    report.add(
      `write → served by every DP's proxy, ${count} DP${count === 1 ? '' : 's'}`,
      `${describe(distribution(served))}; the Admin API answered in ${ms(median(admin))} (median)`,
      '',
    );
  }
}

/**
 * Figure 5: a data plane with a cache file of the background routes and no reachable control
 * plane: from spawn to /status/ready = 200, and to the first proxied 200.
 */
async function measureColdBoot(report: Report, cacheFile: string, certs: ClusterCerts): Promise<void> {
  const ready: number[] = [];
  const served: number[] = [];
  for (let run = 0; run < PLAN.coldBoots; run++) {
    const prefix = await mkdtemp(join(tmpdir(), 'turnpike-sync-bench-dp-'));
    try {
      await copyFile(cacheFile, join(prefix, 'config.cache'));
      // Port 1 on loopback: nothing listens, so the control plane is down for the whole boot.
      const dp = await spawnDataPlane('127.0.0.1:1', certs, prefix);
      const status = new Probe(dp.statusUrl);
      const proxy = new Probe(dp.proxyUrl);
      try {
        const [readyAt, servedAt] = await Promise.all([
          status.firstOkAt('/status/ready', POLL_MS, 30_000),
          proxy.firstOkAt('/bg/1/cold', POLL_MS, 30_000),
        ]);
        ready.push(readyAt - dp.spawnedAt);
        served.push(servedAt - dp.spawnedAt);
      } finally {
        await Promise.all([status.close(), proxy.close()]);
        await (await dp.started)[Symbol.asyncDispose]();
      }
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  }
  const k = `${PLAN.background / 1000}k`;
  report.add(
    `cold boot from cache, CP down, ${k} routes: spawn → ready`,
    `median ${ms(median(ready))} (n=${ready.length})`,
    '',
  );
  if (median(ready) < median(served) - 500) {
    report.note(
      '/status/ready answered 200 well before the proxy served: readiness is checked against the ' +
        'status sources, and there are none until the role has started (bin/node/run.ts)',
    );
  }
  report.add(
    `cold boot from cache, CP down, ${k} routes: spawn → first proxied 200`,
    `median ${ms(median(served))}, max ${ms(Math.max(...served))} (n=${served.length})`,
    'serving ≤ 2 s',
    Math.max(...served) <= 2_000,
  );
}

/** Figure 6: SIGKILL a data plane; time until /clustering/data-planes lists it offline. */
async function measureDeadDataPlane(report: Report, cluster: Cluster): Promise<void> {
  const seen: number[] = [];
  for (let run = 0; run < PLAN.deadDps; run++) {
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
    'dead DP (SIGKILL) shown offline in /clustering/data-planes',
    `max ${ms(Math.max(...seen))} (n=${seen.length}, polled every 20 ms)`,
    '≤ 15 s',
    Math.max(...seen) <= 15_000,
  );
}

/** Figures 1, 4, 5, 6 on real processes; returns what the in-process figures build on. */
async function clusterFigures(report: Report, budget: Budget) {
  await using pg = await startPostgres();
  await using certs = await genClusterCert();
  await using upstream = await startEchoUpstream('sync-bench');
  await using cp = await startControlPlaneNode(pg.dsn, certs);
  await using store = await openBenchStore(pg.dsn, upstream.url);
  const cluster: Cluster = { cp, certs, store };
  const scratch = await mkdtemp(join(tmpdir(), 'turnpike-sync-bench-'));
  try {
    // The data plane whose memory is followed from an empty config to the largest one.
    await using watched = await startDataPlaneNode(cp.clusterPort, certs);
    await eventually(
      () => nodeStatus(watched.statusUrl),
      (s) => s.connected,
      30_000,
    );
    await measureMemory(report, watched, 0);

    await loadRoutes(report, cluster, watched, 0, PLAN.background);
    await measureMemory(report, watched, PLAN.background);
    const cacheFile = join(scratch, 'config.cache');
    await copyFile(join(watched.prefix, 'config.cache'), cacheFile);

    console.log('\nfigure 1: propagation');
    await measurePropagation(report, cluster, budget);

    // A route written through the Admin API, as the control plane stores and sends it.
    const lastWrite = await storedRoute(store.dao, 'w-0').catch(() => storedRoute(store.dao, 'bg-0'));
    const templates: EntityTemplates = {
      service: (await store.dao.entity('services').get('bench')) as Record<string, unknown>,
      route: await storedRoute(store.dao, 'bg-0'),
    };
    const cpStatus = (await http('GET', `${cp.statusUrl}/status`)).body as {
      control_plane: { config_version: number; config_hash: string };
    };

    console.log('\nfigures 5 and 6: cold boot from cache, dead data plane');
    await measureColdBoot(report, cacheFile, certs);
    await measureDeadDataPlane(report, cluster);

    if (PLAN.big === undefined) {
      report.skip('DP memory, 50,000 routes', '≤ 400 MB', '--quick');
    } else if (budget.exhausted(240_000)) {
      report.skip('DP memory, 50,000 routes', '≤ 400 MB', 'time budget spent');
    } else {
      console.log('\nfigure 4: memory at 50k routes');
      await loadRoutes(report, cluster, watched, PLAN.background, PLAN.big);
      await measureMemory(report, watched, PLAN.big);
    }
    return {
      templates,
      realDelta: {
        change: { entity: 'routes', id: lastWrite.id, op: 'upsert' as const, value: lastWrite },
        version: cpStatus.control_plane.config_version,
        hash: cpStatus.control_plane.config_hash,
      },
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const report = new Report();
  if (ENCODE_ONLY) {
    console.log('config sync benchmark, snapshot encode only (--encode): in process, stored-route shapes');
    await encodeFigures(report, storedShape(), [10_000, 50_000], PLAN.encodeRuns);
    console.log(`\n${report.table()}`);
    return;
  }
  const budget = new Budget(PLAN.budgetMs);
  const started = performance.now();
  console.log(
    `config sync benchmark${QUICK ? ' (--quick)' : ''}: loopback, ${PLAN.dpCounts.join('/')} DPs ` +
      `(worker_processes ${PROPAGATION_WORKERS}; the memory and cold-boot DPs keep the default)`,
  );
  console.log('\nfigure 4: memory; background load');
  const { templates, realDelta } = await clusterFigures(report, budget);

  console.log('\nfigure 2: on the wire (every process stopped)');
  await wireFigures(report, templates, PLAN.sizes, realDelta);
  console.log('\nfigure 2b: snapshot encode, and the event loop meanwhile');
  await encodeFigures(report, templates, PLAN.sizes, PLAN.encodeRuns);
  console.log('\nfigure 3: apply, in process');
  await snapshotApplyFigures(report, templates, PLAN.sizes, PLAN.snapshotRuns);
  const deltaSizes = PLAN.big === undefined ? [PLAN.background] : [PLAN.background, PLAN.big];
  await deltaApplyFigures(report, templates, deltaSizes, PLAN.deltaRuns, budget);
  await stallFigure(report, templates, PLAN.big ?? PLAN.background, PLAN.stallDeltas);

  report.skip(
    'a DP rejection (NACK) visible in the Admin API',
    '≤ 1 s',
    'not measured: no config a DP refuses yet',
  );
  console.log(`\n${report.table()}`);
  console.log(
    `\nTotal ${ms(performance.now() - started)}. Loopback on one shared machine (${availableParallelism()} cores): absolute figures drift; informational only.`,
  );
}

await main();
