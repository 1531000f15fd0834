// A control plane process through PostgreSQL outages (fast and immediate shutdown) under
// concurrent Admin writes, with a data plane process following it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { isProcessAlive, type ShutdownMode, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type EchoUpstream, startEchoUpstream } from '../helpers/upstream.ts';

/** No Admin request may take longer than this, outage or not. */
const REQUEST_BOUND_MS = 3_000;

interface Outcome {
  status: number | string;
  ms: number;
  retryAfter: string | null;
  body: string;
  /** When it ended, relative to the outage's start. */
  at: number;
}

let pg: TestPostgres;
let certs: ClusterCerts;
let cp: ControlPlaneNode;
let dp: DataPlaneNode;
let upstream: EchoUpstream;
before(async () => {
  pg = await startPostgres({ throwaway: true });
  certs = await genClusterCert();
  upstream = await startEchoUpstream('outage');
  // The test's own budget for a connection attempt to a database that is not there.
  cp = await startControlPlaneNode(pg.dsn, certs, { env: { TURNPIKE_PG_TIMEOUT: '2000' } });
  dp = await startDataPlaneNode(cp.clusterPort, certs);
});
after(async () => {
  await dp?.[Symbol.asyncDispose]();
  await cp?.[Symbol.asyncDispose]();
  await upstream?.[Symbol.asyncDispose]();
  await certs?.[Symbol.asyncDispose]();
  await pg?.[Symbol.asyncDispose]();
});

function context(): string {
  return `\nCP stderr:\n${cp.stderr()}\nCP logs (last 30):\n${cp.lines
    .slice(-30)
    .map((l) => JSON.stringify(l))
    .join('\n')}`;
}

/** Admin writes in `n` loops until `stop()`; every answer recorded with its time. */
function writers(n: number, prefix: string, since: () => number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: n }, async (_, w) => {
    for (let i = 0; running; i++) {
      const begun = performance.now();
      try {
        const res = await fetch(`${cp.adminUrl}/consumers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `${prefix}-${w}-${i}` }),
          signal: AbortSignal.timeout(REQUEST_BOUND_MS * 2),
        });
        outcomes.push({
          status: res.status,
          ms: performance.now() - begun,
          retryAfter: res.headers.get('retry-after'),
          body: await res.text(),
          at: since(),
        });
      } catch (err) {
        outcomes.push({
          status: String(err),
          ms: performance.now() - begun,
          retryAfter: null,
          body: '',
          at: since(),
        });
      }
      // A client that honours nothing: it retries at once, every 20 ms.
      await sleep(20);
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function readiness(): Promise<number | string> {
  try {
    return (await http('GET', `${cp.statusUrl}/status/ready`)).status;
  } catch (err) {
    return `unreachable: ${(err as Error).message}`;
  }
}

describe('a control plane process through PostgreSQL outages', () => {
  for (const mode of ['fast', 'immediate'] as const satisfies readonly ShutdownMode[]) {
    test(`${mode} shutdown under concurrent writes: it lives, answers 503 with Retry-After, turns not ready within 1 s, and resumes`, async () => {
      const cluster = pg.cluster;
      assert.ok(cluster !== undefined);
      assert.equal(await readiness(), 200, context());
      let outageStart = Number.POSITIVE_INFINITY;
      const since = () => performance.now() - outageStart;
      const load = writers(4, `${mode}`, since);
      let stopped: Promise<void> = Promise.resolve();
      let notReadyAt: number | undefined;
      try {
        await sleep(300);

        // Readiness watched from the moment the server is told to stop.
        outageStart = performance.now();
        stopped = cluster.stop(mode);
        while (notReadyAt === undefined && since() < 5_000) {
          const status = await readiness();
          assert.ok(status === 200 || status === 503, `the status listener answers: ${status}${context()}`);
          if (status === 503) notReadyAt = since();
          else await sleep(10);
        }
        await stopped;
        assert.ok(
          notReadyAt !== undefined && notReadyAt <= 1_000,
          `not ready after ${notReadyAt} ms${context()}`,
        );
        const ready = await http('GET', `${cp.statusUrl}/status/ready`);
        assert.deepEqual(ready.body, { message: 'failed to connect to database' });
        const liveness = await http('GET', `${cp.statusUrl}/status`);
        assert.equal(liveness.status, 200);
        assert.deepEqual((liveness.body as { control_plane: { database: unknown } }).control_plane.database, {
          reachable: false,
        });

        // Down for a while: writes and reads are refused quickly, in Kong's shape.
        await sleep(1_500);
        const read = await http('GET', `${cp.adminUrl}/services`);
        assert.equal(read.status, 503, read.text);
        assert.deepEqual(read.body, { message: 'database unavailable', name: 'database error', code: 8 });
        assert.equal(read.headers.get('retry-after'), '5');
        assert.equal((await http('GET', `${cp.adminUrl}/status`)).status, 200, 'Admin /status still answers');

        await cluster.start();
        const back = await eventually(readiness, (s) => s === 200, 15_000);
        assert.equal(back, 200);
        const resumedAt = since();
        // Writes succeed again, as soon as the database is back.
        await eventually(
          async () => load.outcomes.filter((o) => o.status === 201 && o.at > resumedAt).length,
          (n) => n >= 8,
          10_000,
        );
      } finally {
        // Even when an assertion failed: no write loop outlives the test, no stop is left pending.
        await load.stop();
        await stopped.catch(() => undefined);
      }

      const byStatus: Record<string, number> = {};
      for (const o of load.outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
      const summary = `${mode}: ${JSON.stringify(byStatus)}, not ready after ${Math.round(notReadyAt)} ms, slowest ${Math.round(Math.max(...load.outcomes.map((o) => o.ms)))} ms`;
      console.log(summary);
      for (const o of load.outcomes) {
        assert.ok(
          o.status === 201 || o.status === 503,
          `only 201 and 503: ${o.status} ${o.body}${context()}`,
        );
        assert.ok(o.ms <= REQUEST_BOUND_MS, `a write took ${Math.round(o.ms)} ms (${o.status})${context()}`);
        if (o.status === 503) {
          assert.equal(o.retryAfter, '5');
          assert.deepEqual(JSON.parse(o.body), {
            message: 'database unavailable',
            name: 'database error',
            code: 8,
          });
        }
      }
      assert.ok((byStatus[503] ?? 0) > 0, `some writes met the outage: ${summary}`);
      assert.ok((byStatus[201] ?? 0) > 0, summary);

      // The process never went down, and nothing escaped to stderr (an unhandled 'error' would).
      assert.equal(cp.child.exitCode, null, context());
      assert.ok(cp.child.pid !== undefined && isProcessAlive(cp.child.pid));
      assert.equal(cp.stderr(), '', context());
      assert.ok(cp.lines.some((l) => l.msg === 'database unreachable'));
      assert.ok(cp.lines.some((l) => l.msg === 'database reachable again'));

      // A new version reaches the data plane process.
      const name = `after-${mode}`;
      assert.equal((await http('POST', `${cp.adminUrl}/services`, { name, url: upstream.url })).status, 201);
      assert.equal(
        (await http('POST', `${cp.adminUrl}/services/${name}/routes`, { paths: [`/${name}`] })).status,
        201,
      );
      const proxied = await eventually(
        () => http('GET', `${dp.proxyUrl}/${name}`),
        (r) => r.status === 200,
        15_000,
      );
      assert.equal((proxied.body as { upstream: string }).upstream, 'outage');
    });
  }
});
