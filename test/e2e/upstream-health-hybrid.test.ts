/**
 * Kong's upstream health endpoints on a hybrid control plane, where Kong has none: two data
 * planes (one with two proxy workers) report their balancers' health over the sync stream, the
 * control plane's `GET /upstreams/{u}/health` shows each target's worst view and every data
 * plane's own (`data_planes`), and `PUT …/healthy|unhealthy` on the control plane reaches every
 * data plane's balancers, which the traffic through each shows. Real processes, real mTLS sync,
 * real upstream servers under passive and active health checks.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  dataPlanes,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type RecordingUpstream, recordingUpstream, serverSpread } from './proxy-fixtures.ts';

interface DataPlaneView {
  id: string;
  hostname: string;
  health: string;
  data: { addresses: { ip: string; port: number; health: string }[] } | null;
}

interface TargetView {
  id: string;
  target: string;
  health?: string;
  data?: { addresses: { ip: string; port: number; health: string }[] };
  data_planes?: DataPlaneView[];
}

interface HealthBody {
  data: TargetView[];
  next: unknown;
  node_id: string;
}

let pg: TestPostgres;
let certs: ClusterCerts;
let cp: ControlPlaneNode;
const dps: DataPlaneNode[] = [];
/** The data planes' node ids, in the order of `dps`. */
const dpIds: string[] = [];
const servers: RecordingUpstream[] = [];
/** `failing[i]` makes server i answer 500, to traffic and to probes. */
const failing = [false, false];

async function health(upstream: string): Promise<HealthBody> {
  const res = await http('GET', `${cp.adminUrl}/upstreams/${upstream}/health`);
  assert.equal(res.status, 200, res.text);
  return res.body as HealthBody;
}

function targetOf(body: HealthBody, port: number): TargetView | undefined {
  return body.data.find((t) => t.target === `127.0.0.1:${port}`);
}

/** Each data plane's health of the target on `port`, in the order of `dps`. */
function viewsOf(body: HealthBody, port: number): (string | undefined)[] {
  const views = targetOf(body, port)?.data_planes ?? [];
  return dpIds.map((id) => views.find((v) => v.id === id)?.health);
}

/** Which server answered each of `n` requests through `dp` (by its X-Server header). */
function spread(dp: DataPlaneNode, path: string, n: number): Promise<number[]> {
  return serverSpread(`${dp.proxyUrl}${path}`, n);
}

describe('upstream health on a hybrid control plane, reported by its data planes', () => {
  before(async () => {
    pg = await startPostgres();
    certs = await genClusterCert();
    for (const i of [0, 1]) {
      servers.push(
        await recordingUpstream((_req, res) => {
          res.writeHead(failing[i] ? 500 : 200, { 'x-server': String(i), 'content-type': 'text/plain' });
          res.end(failing[i] ? 'down' : 'up');
        }),
      );
    }
    cp = await startControlPlaneNode(await pg.newDatabase(), certs);
    dpIds.push(randomUUID(), randomUUID());
    dps.push(await startDataPlaneNode(cp.clusterPort, certs, { env: { TURNPIKE_NODE_ID: dpIds[0]! } }));
    dps.push(
      await startDataPlaneNode(cp.clusterPort, certs, {
        env: { TURNPIKE_NODE_ID: dpIds[1]!, TURNPIKE_WORKER_PROCESSES: '2' },
      }),
    );
    const upstreams = [
      {
        name: 'passive.internal',
        healthchecks: { passive: { unhealthy: { http_failures: 1, http_statuses: [500] } } },
      },
      {
        name: 'active.internal',
        healthchecks: {
          active: {
            http_path: '/probe',
            healthy: { interval: 0.2, successes: 1 },
            unhealthy: { interval: 0.2, http_failures: 1, http_statuses: [500] },
          },
        },
      },
      { name: 'plain.internal' },
    ];
    for (const upstream of upstreams) {
      const created = await http('POST', `${cp.adminUrl}/upstreams`, upstream);
      assert.equal(created.status, 201, created.text);
      for (const server of servers) {
        const t = await http('POST', `${cp.adminUrl}/upstreams/${upstream.name}/targets`, {
          target: `127.0.0.1:${server.port}`,
        });
        assert.equal(t.status, 201, t.text);
      }
      const short = upstream.name.split('.')[0]!;
      assert.equal(
        (await http('POST', `${cp.adminUrl}/services`, { name: short, host: upstream.name })).status,
        201,
      );
      const route = await http('POST', `${cp.adminUrl}/services/${short}/routes`, { paths: [`/${short}`] });
      assert.equal(route.status, 201, route.text);
    }
    for (const dp of dps) {
      await eventually(
        async () => (await fetch(`${dp.proxyUrl}/plain`)).status,
        (s) => s === 200,
      );
    }
    const listed = await eventually(
      () => dataPlanes(cp),
      (list) => list.length === 2 && list.every((d) => d.sync_status === 'normal'),
    );
    assert.deepEqual(listed.map((d) => d.id).sort(), [...dpIds].sort());
  });
  after(async () => {
    for (const dp of dps) await dp[Symbol.asyncDispose]();
    await cp?.[Symbol.asyncDispose]();
    for (const s of servers) await s[Symbol.asyncDispose]();
    await certs?.[Symbol.asyncDispose]();
    await pg?.[Symbol.asyncDispose]();
  });

  it("GET /upstreams/{u}/health: Kong's body from the data planes' reports, each data plane's view in data_planes", async () => {
    const body = await eventually(
      () => health('plain.internal'),
      (b) => b.data.length === 2 && b.data.every((t) => t.data_planes?.length === 2),
    );
    assert.match(body.node_id, /^[0-9a-f-]{36}$/);
    assert.ok(!dpIds.includes(body.node_id), "node_id is the control plane's own");
    for (const target of body.data) {
      assert.equal(target.health, 'HEALTHCHECKS_OFF');
      const port = Number(target.target.split(':')[1]);
      assert.deepEqual(target.data?.addresses, [
        { ip: '127.0.0.1', port, weight: 100, health: 'HEALTHCHECKS_OFF' },
      ]);
      assert.deepEqual(target.data_planes!.map((v) => v.id).sort(), [...dpIds].sort());
      for (const view of target.data_planes!) {
        assert.equal(view.health, 'HEALTHCHECKS_OFF');
        assert.ok(view.hostname.length > 0);
      }
    }
    const balancer = await http('GET', `${cp.adminUrl}/upstreams/passive.internal/health?balancer_health=1`);
    assert.equal(balancer.status, 200, balancer.text);
    const data = (balancer.body as { data: { id: string; health: string; data_planes: { id: string }[] } })
      .data;
    assert.equal(data.health, 'HEALTHY');
    assert.equal(data.data_planes.length, 2);
    assert.equal((await http('GET', `${cp.adminUrl}/upstreams/nope.internal/health`)).status, 404);
  });

  it('passive checks on one data plane: the target is UNHEALTHY there and HEALTHY on the other; PUT …/healthy on the control plane fixes both', async () => {
    const [dp1, dp2] = [dps[0]!, dps[1]!];
    const [a, b] = [servers[0]!.port, servers[1]!.port];
    failing[1] = true;
    try {
      const body = await eventually(
        async () => {
          await spread(dp1, '/passive', 4);
          return health('passive.internal');
        },
        (h) => viewsOf(h, b)[0] === 'UNHEALTHY',
      );
      assert.deepEqual(viewsOf(body, b), ['UNHEALTHY', 'HEALTHY']);
      assert.equal(targetOf(body, b)?.health, 'UNHEALTHY', 'the worst view of the target');
      assert.equal(targetOf(body, a)?.health, 'HEALTHY');
    } finally {
      failing[1] = false;
    }
    assert.deepEqual(await spread(dp1, '/passive', 6), [6, 0]);
    const shared = await spread(dp2, '/passive', 10);
    assert.ok(shared[1]! > 0, `the other data plane still uses server 1: ${shared}`);

    const put = await http('PUT', `${cp.adminUrl}/upstreams/passive.internal/targets/127.0.0.1:${b}/healthy`);
    assert.equal(put.status, 204, put.text);
    // Read right after the 204: each data plane reported before it answered.
    assert.deepEqual(viewsOf(await health('passive.internal'), b), ['HEALTHY', 'HEALTHY']);
    const back = await spread(dp1, '/passive', 10);
    assert.ok(back[1]! > 0, `server 1 serves again through the first data plane: ${back}`);

    // One address, by target id, with POST (Kong 2.x's verb): both data planes (all three workers) stop using it.
    const targets = (await http('GET', `${cp.adminUrl}/upstreams/passive.internal/targets`)).body as {
      data: { id: string; target: string }[];
    };
    const targetA = targets.data.find((t) => t.target === `127.0.0.1:${a}`)!;
    const down = await http(
      'POST',
      `${cp.adminUrl}/upstreams/passive.internal/targets/${targetA.id}/127.0.0.1:${a}/unhealthy`,
    );
    assert.equal(down.status, 204, down.text);
    assert.deepEqual(viewsOf(await health('passive.internal'), a), ['UNHEALTHY', 'UNHEALTHY']);
    assert.deepEqual(await spread(dp1, '/passive', 6), [0, 6]);
    assert.deepEqual(await spread(dp2, '/passive', 10), [0, 10]);
    const up = await http('PUT', `${cp.adminUrl}/upstreams/passive.internal/targets/127.0.0.1:${a}/healthy`);
    assert.equal(up.status, 204, up.text);
  });

  it("active checks: every data plane's probes turn the target UNHEALTHY, and HEALTHY again when it recovers", async () => {
    const b = servers[1]!.port;
    await eventually(
      async () => viewsOf(await health('active.internal'), b),
      (views) => views.every((h) => h === 'HEALTHY'),
    );
    failing[1] = true;
    try {
      const body = await eventually(
        () => health('active.internal'),
        (h) => viewsOf(h, b).every((v) => v === 'UNHEALTHY'),
      );
      assert.equal(targetOf(body, b)?.health, 'UNHEALTHY');
    } finally {
      failing[1] = false;
    }
    await eventually(
      async () => health('active.internal'),
      (h) => targetOf(h, b)?.health === 'HEALTHY',
    );
  });

  it("refusals as Kong's: unknown target 404, an address no data plane has 400 in the balancer's words", async () => {
    const missing = await http(
      'PUT',
      `${cp.adminUrl}/upstreams/passive.internal/targets/10.9.9.9:80/healthy`,
    );
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { message: 'Not found' });
    const a = servers[0]!.port;
    const wrongAddress = await http(
      'PUT',
      `${cp.adminUrl}/upstreams/passive.internal/targets/127.0.0.1:${a}/127.0.0.2:${a}/unhealthy`,
    );
    assert.equal(wrongAddress.status, 400, wrongAddress.text);
    assert.deepEqual(wrongAddress.body, { message: 'target not found' });
  });

  it('a data plane that goes away leaves the view; with none connected, marks are refused and targets show no health', async () => {
    const a = servers[0]!.port;
    await dps[1]![Symbol.asyncDispose]();
    const body = await eventually(
      () => health('plain.internal'),
      (h) => targetOf(h, a)?.data_planes?.length === 1,
    );
    assert.equal(targetOf(body, a)?.data_planes?.[0]?.id, dpIds[0]);
    await dps[0]![Symbol.asyncDispose]();
    const none = await eventually(
      () => health('plain.internal'),
      (h) => targetOf(h, a)?.data_planes === undefined,
    );
    assert.equal(targetOf(none, a)?.health, undefined);
    const put = await http('PUT', `${cp.adminUrl}/upstreams/plain.internal/targets/127.0.0.1:${a}/unhealthy`);
    assert.equal(put.status, 400, put.text);
    assert.deepEqual(put.body, { message: 'no data plane is connected to this control plane' });
  });
});
