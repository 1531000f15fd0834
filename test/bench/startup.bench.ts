/**
 * The startup section (`pnpm bench startup`), from the spawn of `turnpike start` to:
 * - `npm start`'s node (traditional, dsn = memory, 1 worker): its proxy answering (any HTTP
 *   answer: Kong's 404 for no route is the proxy serving), after one untimed start that plays
 *   "the first install" (the embedded datastore's cached cluster is made once per machine);
 * - a data plane with a cache file of 10,000 routes and its control plane down (cold boot
 *   from cache): the first proxied 200 for the table's last route;
 * - a DB-less traditional node (`database = off`, 1 worker) with a kong.yml of 1,000 routes:
 *   the first proxied 200 for the file's last route (issue 19's target: ≤ 1.5 s).
 */

import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterCerts } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTurnpike } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { spawnDblessNode, writeDblessFile } from './dbless-node.ts';
import { median, ms, type Report } from './report.ts';
import { Probe, spawnDataPlane } from './sync-fixtures.ts';
import { benchConfig, cachePrefix, NO_CONTROL_PLANE } from './turnpike-nodes.ts';

export interface StartupPlan {
  /** Timed starts of each kind. */
  readonly runs: number;
  /** One untimed `turnpike start` first ("the first install"). */
  readonly firstStart: boolean;
}

export const FULL_STARTUP: StartupPlan = { runs: 3, firstStart: true };
export const QUICK_STARTUP: StartupPlan = { runs: 1, firstStart: false };

const POLL_MS = 2;

interface StartTimes {
  /** Spawn → the proxy's first answer. */
  readonly proxy: number;
  /** Spawn → the "Turnpike started" log line. */
  readonly started: number;
}

/** One `turnpike start` with the defaults `npm start` uses, timed from its spawn. */
async function traditionalStart(): Promise<StartTimes> {
  const prefix = await mkdtemp(join(tmpdir(), 'turnpike-bench-start-'));
  const [proxy, admin, status] = [await freePort(), await freePort(), await freePort()];
  const probe = new Probe(`http://127.0.0.1:${proxy}`);
  try {
    const t0 = performance.now();
    // With TURNPIKE_PREFIX given, startTurnpike spawns before its first await.
    const node = startTurnpike({
      env: {
        TURNPIKE_ROLE: 'traditional',
        TURNPIKE_DSN: 'memory',
        TURNPIKE_WORKER_PROCESSES: '1',
        TURNPIKE_PREFIX: prefix,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      },
    });
    const answered = probe.firstAnswerAt('/', POLL_MS, 60_000);
    // Awaited below once the node started; if it never does, that failure is the one reported.
    answered.catch(() => undefined);
    await using _node = await node;
    const startedAt = performance.now();
    return { proxy: (await answered) - t0, started: startedAt - t0 };
  } finally {
    await probe.close();
    await rm(prefix, { recursive: true, force: true });
  }
}

async function measureTraditional(report: Report, plan: StartupPlan): Promise<void> {
  const first = await traditionalStart();
  report.note(
    `first start of this run (untimed, "the first install"): proxy answered after ${ms(first.proxy)}`,
  );
  const runs: StartTimes[] = [];
  for (let i = 0; i < plan.runs; i++) runs.push(await traditionalStart());
  const proxy = runs.map((r) => r.proxy);
  report.add(
    '`turnpike start` (traditional, dsn = memory, 1 worker) → proxy answering',
    `median ${ms(median(proxy))}, max ${ms(Math.max(...proxy))} (n=${runs.length}); "Turnpike started" logged at ${ms(median(runs.map((r) => r.started)))} (median)`,
    '≤ 1 s',
    Math.max(...proxy) <= 1_000,
  );
}

/** Cold boot: a data plane with a cache file of 10,000 routes and no reachable control plane. */
async function measureColdBoot(report: Report, plan: StartupPlan, certs: ClusterCerts): Promise<void> {
  await using upstream = await startEchoUpstream('cold-boot');
  const config = await benchConfig({ upstreamPort: upstream.port, routes: 10_000 });
  const cached = await cachePrefix(config.content);
  const ready: number[] = [];
  const served: number[] = [];
  try {
    for (let run = 0; run < plan.runs; run++) {
      const prefix = await mkdtemp(join(tmpdir(), 'turnpike-bench-cold-'));
      try {
        await copyFile(join(cached, 'config.cache'), join(prefix, 'config.cache'));
        const dp = await spawnDataPlane(`127.0.0.1:${NO_CONTROL_PLANE}`, certs, prefix);
        const status = new Probe(dp.statusUrl);
        const proxy = new Probe(dp.proxyUrl);
        try {
          const [readyAt, servedAt] = await Promise.all([
            status.firstOkAt('/status/ready', POLL_MS, 30_000),
            proxy.firstOkAt(config.request.path, POLL_MS, 30_000),
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
  } finally {
    await rm(cached, { recursive: true, force: true });
  }
  report.add(
    'cold boot from cache, CP down, 10,000 routes: spawn → first proxied 200',
    `median ${ms(median(served))}, max ${ms(Math.max(...served))} (n=${served.length}); /status/ready 200 at ${ms(median(ready))} (median)`,
    '≤ 1 s',
    Math.max(...served) <= 1_000,
  );
}

/** DB-less: spawn → the last of 1,000 routes from kong.yml proxied. */
async function measureDbless(report: Report, plan: StartupPlan): Promise<void> {
  await using upstream = await startEchoUpstream('dbless-start');
  await using file = await writeDblessFile(1_000, upstream.url);
  const served: number[] = [];
  for (let run = 0; run < plan.runs; run++) {
    const prefix = await mkdtemp(join(tmpdir(), 'turnpike-bench-dbless-'));
    try {
      const node = await spawnDblessNode(file.path, prefix);
      node.started.catch(() => undefined);
      const proxy = new Probe(node.proxyUrl);
      try {
        served.push((await proxy.firstOkAt(file.lastRoute, POLL_MS, 60_000)) - node.spawnedAt);
      } finally {
        await proxy.close();
        await (await node.started)[Symbol.asyncDispose]();
      }
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  }
  report.add(
    'DB-less (database = off, 1 worker), kong.yml of 1,000 routes: spawn → last route proxied 200',
    `median ${ms(median(served))}, max ${ms(Math.max(...served))} (n=${served.length})`,
    '≤ 1.5 s',
    Math.max(...served) <= 1_500,
  );
}

export async function startupSection(report: Report, plan: StartupPlan, certs: ClusterCerts): Promise<void> {
  await measureTraditional(report, plan);
  await measureDbless(report, plan);
  await measureColdBoot(report, plan, certs);
}
