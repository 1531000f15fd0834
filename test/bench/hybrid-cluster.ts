/**
 * A real hybrid cluster on 127.0.0.1 for the sync and control-plane sections, started once per
 * run and shared by both (starting 20 data planes costs a minute on two cores): PostgreSQL, one
 * control plane process, an echo upstream, a DAO on the control plane's database for bulk loads,
 * and data plane processes added on demand. Disposing stops every process it started.
 */

import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { ms } from './report.ts';
import { appliedAt, type BenchStore, openBenchStore } from './sync-fixtures.ts';

/** Data planes started at once: 2 cores cannot boot 15 Node processes within their start timeout. */
const START_BATCH = 3;

export interface HybridCluster extends AsyncDisposable {
  readonly cp: ControlPlaneNode;
  readonly certs: ClusterCerts;
  readonly store: BenchStore;
  /** The data planes started so far (one proxy worker each), oldest first. */
  readonly dataPlanes: readonly DataPlaneNode[];
  /** Background routes loaded so far (`bg-<i>`, path `/bg/<i>`). */
  readonly background: number;
  currentVersion(): Promise<number>;
  /** A fresh, empty database on the cluster's PostgreSQL server (for `config db_import`). */
  newDatabase(): Promise<string>;
  /** Loads background routes up to `total` through the DAO; waits until every data plane applied them. */
  ensureBackground(total: number): Promise<string | undefined>;
  /** Starts data planes (START_BATCH at a time) until there are `count`; each has applied the current version. */
  ensureDataPlanes(count: number): Promise<readonly DataPlaneNode[]>;
}

/** One data plane; a start that times out on a busy machine is retried once. */
async function startOne(cp: ControlPlaneNode, certs: ClusterCerts): Promise<DataPlaneNode> {
  const start = () => startDataPlaneNode(cp.clusterPort, certs, { env: { TURNPIKE_WORKER_PROCESSES: '1' } });
  try {
    return await start();
  } catch (error) {
    console.log(
      `  a data plane did not start in time, retrying once: ${(error as Error).message.split('\n')[0]}`,
    );
    return start();
  }
}

export async function startHybridCluster(): Promise<HybridCluster> {
  await using stack = new AsyncDisposableStack();
  const pg = stack.use(await startPostgres());
  const certs = stack.use(await genClusterCert());
  const upstream = stack.use(await startEchoUpstream('sync-bench'));
  const cp = stack.use(await startControlPlaneNode(pg.dsn, certs));
  const store = stack.use(await openBenchStore(pg.dsn, upstream.url));
  const dataPlanes: DataPlaneNode[] = [];
  const planes = stack.use(new AsyncDisposableStack());
  let background = 0;
  const currentVersion = () => store.dao.configVersion();
  const owned = stack.move();
  return {
    cp,
    certs,
    store,
    dataPlanes,
    get background() {
      return background;
    },
    currentVersion,
    newDatabase: () => pg.newDatabase(),
    async ensureBackground(total) {
      if (total <= background) return undefined;
      const t0 = performance.now();
      await store.addBackgroundRoutes(background, total);
      const written = performance.now();
      const version = await currentVersion();
      await Promise.all(dataPlanes.map((dp) => appliedAt(dp, version, 300_000)));
      const from = background;
      background = total;
      return `loaded routes ${from}..${total - 1} through the DAO in ${ms(written - t0)}${
        dataPlanes.length === 0
          ? ''
          : `; ${dataPlanes.length} data planes applied them ${ms(performance.now() - written)} later`
      }`;
    },
    async ensureDataPlanes(count) {
      while (dataPlanes.length < count) {
        const batch = Math.min(START_BATCH, count - dataPlanes.length);
        const results = await Promise.allSettled(Array.from({ length: batch }, () => startOne(cp, certs)));
        for (const result of results)
          if (result.status === 'fulfilled') dataPlanes.push(planes.use(result.value));
        const failed = results.find((r) => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      }
      const version = await currentVersion();
      await Promise.all(dataPlanes.map((dp) => appliedAt(dp, version, 180_000)));
      return dataPlanes;
    },
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}
