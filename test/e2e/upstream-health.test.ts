/**
 * Kong's upstream health endpoints through a running traditional node with two proxy workers:
 * `GET /upstreams/{u}/health` (and `?balancer_health=1`), `GET /upstreams/{u}/targets/all`, and
 * `PUT|POST /upstreams/{u}/targets/{t}[/{address}]/healthy|unhealthy`, against real upstream
 * servers under passive and active health checks. The node's Admin API reads the workers'
 * balancers; a set reaches every worker, which the traffic shows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTraditionalNode, type TraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { type RecordingUpstream, recordingUpstream, serverSpread } from './proxy-fixtures.ts';

let node: TraditionalNode;
let adminUrl: string;
let proxyUrl: string;
/** Two upstream servers; `failing[i]` makes server i answer 500 (to traffic and to probes). */
const servers: RecordingUpstream[] = [];
const failing = [false, false];

interface HealthBody {
  data: {
    id: string;
    target: string;
    health: string;
    data?: {
      addresses: { ip: string; port: number; health: string; weight: number }[];
      weight: { total: number; available: number; unavailable: number };
      host: string;
      port: number;
      dns: string;
      nodeWeight: number;
    };
  }[];
  next: unknown;
  node_id: string;
}

async function health(upstream: string): Promise<HealthBody> {
  const res = await http('GET', `${adminUrl}/upstreams/${upstream}/health`);
  assert.equal(res.status, 200, res.text);
  return res.body as HealthBody;
}

function healthOf(body: HealthBody, port: number): string | undefined {
  return body.data.find((t) => t.target === `127.0.0.1:${port}`)?.health;
}

/** Which server answered each of `n` requests (by its X-Server header). */
function spread(path: string, n: number): Promise<number[]> {
  return serverSpread(`${proxyUrl}${path}`, n);
}

describe('upstream health endpoints through a running node (2 proxy workers)', () => {
  before(async () => {
    for (const i of [0, 1]) {
      servers.push(
        await recordingUpstream((_req, res) => {
          res.writeHead(failing[i] ? 500 : 200, { 'x-server': String(i), 'content-type': 'text/plain' });
          res.end(failing[i] ? 'down' : 'up');
        }),
      );
    }
    node = await startTraditionalNode({
      env: {
        TURNPIKE_WORKER_PROCESSES: '2',
      },
    });
    adminUrl = node.adminUrl;
    proxyUrl = node.proxyUrl;
    const passive = await http('POST', `${adminUrl}/upstreams`, {
      name: 'passive.internal',
      healthchecks: { passive: { unhealthy: { http_failures: 1, http_statuses: [500] } } },
    });
    assert.equal(passive.status, 201, passive.text);
    const active = await http('POST', `${adminUrl}/upstreams`, {
      name: 'active.internal',
      healthchecks: {
        active: {
          http_path: '/probe',
          healthy: { interval: 0.2, successes: 1 },
          unhealthy: { interval: 0.2, http_failures: 1, http_statuses: [500] },
        },
      },
    });
    assert.equal(active.status, 201, active.text);
    assert.equal((await http('POST', `${adminUrl}/upstreams`, { name: 'plain.internal' })).status, 201);
    for (const name of ['passive.internal', 'active.internal', 'plain.internal']) {
      for (const server of servers) {
        const t = await http('POST', `${adminUrl}/upstreams/${name}/targets`, {
          target: `127.0.0.1:${server.port}`,
        });
        assert.equal(t.status, 201, t.text);
      }
      const service = await http('POST', `${adminUrl}/services`, { name: name.split('.')[0], host: name });
      assert.equal(service.status, 201, service.text);
      const route = await http('POST', `${adminUrl}/services/${name.split('.')[0]}/routes`, {
        paths: [`/${name.split('.')[0]}`],
      });
      assert.equal(route.status, 201, route.text);
    }
    await eventually(
      async () => (await fetch(`${proxyUrl}/plain`)).status,
      (s) => s === 200,
    );
  });
  after(async () => {
    await node?.[Symbol.asyncDispose]();
    for (const s of servers) await s[Symbol.asyncDispose]();
  });

  it("GET /upstreams/{u}/health: Kong's body, HEALTHCHECKS_OFF without checks, 404 for an unknown upstream", async () => {
    const body = await eventually(
      () => health('plain.internal'),
      (b) => b.data.length === 2 && b.data.every((t) => t.data !== undefined),
    );
    assert.match(body.node_id, /^[0-9a-f-]{36}$/);
    assert.equal(body.next, null);
    for (const target of body.data) {
      assert.equal(target.health, 'HEALTHCHECKS_OFF');
      const port = Number(target.target.split(':')[1]);
      assert.deepEqual(target.data, {
        host: '127.0.0.1',
        port,
        dns: 'A',
        nodeWeight: 100,
        weight: { total: 100, available: 100, unavailable: 0 },
        addresses: [{ ip: '127.0.0.1', port, weight: 100, health: 'HEALTHCHECKS_OFF' }],
      });
    }
    const balancer = await http('GET', `${adminUrl}/upstreams/plain.internal/health?balancer_health=1`);
    assert.equal(balancer.status, 200);
    assert.deepEqual((balancer.body as { data: unknown }).data, {
      id: ((await http('GET', `${adminUrl}/upstreams/plain.internal`)).body as { id: string }).id,
      health: 'HEALTHCHECKS_OFF',
    });
    const missing = await http('GET', `${adminUrl}/upstreams/nope.internal/health`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { message: 'Not found' });
    const all = await http('GET', `${adminUrl}/upstreams/plain.internal/targets/all`);
    assert.equal(all.status, 200, all.text);
    assert.equal((all.body as { data: unknown[] }).data.length, 2);
    assert.equal((await http('GET', `${adminUrl}/upstreams/nope.internal/targets/all`)).status, 404);
  });

  it('passive checks: a failing target shows UNHEALTHY; PUT …/healthy and …/unhealthy move it on every worker', async () => {
    const [a, b] = [servers[0]!.port, servers[1]!.port];
    failing[1] = true;
    try {
      await eventually(
        async () => {
          await spread('/passive', 4);
          return healthOf(await health('passive.internal'), b);
        },
        (h) => h === 'UNHEALTHY',
      );
    } finally {
      failing[1] = false;
    }
    // Every request now goes to server 0, on both workers.
    assert.deepEqual(await spread('/passive', 10), [10, 0]);
    assert.equal(healthOf(await health('passive.internal'), a), 'HEALTHY');
    const balancer = (await http('GET', `${adminUrl}/upstreams/passive.internal/health?balancer_health=1`))
      .body as {
      data: {
        health: string;
        details: { healthy: boolean; weight: { total: number; available: number; unavailable: number } };
      };
    };
    assert.equal(balancer.data.health, 'HEALTHY');
    assert.deepEqual(balancer.data.details.weight, { total: 200, available: 100, unavailable: 100 });

    const put = await http('PUT', `${adminUrl}/upstreams/passive.internal/targets/127.0.0.1:${b}/healthy`);
    assert.equal(put.status, 204, put.text);
    assert.equal(healthOf(await health('passive.internal'), b), 'HEALTHY');
    const back = await spread('/passive', 20);
    assert.ok(back[1]! > 0, `server 1 serves again on every worker: ${back}`);

    // By target id and address, with POST (Kong 2.x's verb).
    const targets = (await http('GET', `${adminUrl}/upstreams/passive.internal/targets`)).body as {
      data: { id: string; target: string }[];
    };
    const targetA = targets.data.find((t) => t.target === `127.0.0.1:${a}`)!;
    const down = await http(
      'POST',
      `${adminUrl}/upstreams/passive.internal/targets/${targetA.id}/127.0.0.1:${a}/unhealthy`,
    );
    assert.equal(down.status, 204, down.text);
    assert.equal(healthOf(await health('passive.internal'), a), 'UNHEALTHY');
    assert.deepEqual(await spread('/passive', 10), [0, 10]);
    assert.equal(
      (await http('PUT', `${adminUrl}/upstreams/passive.internal/targets/127.0.0.1:${a}/healthy`)).status,
      204,
    );
  });

  it('active checks: a target failing its probes turns UNHEALTHY, and HEALTHY again when it recovers', async () => {
    const b = servers[1]!.port;
    await eventually(
      async () => healthOf(await health('active.internal'), b),
      (h) => h === 'HEALTHY',
    );
    failing[1] = true;
    try {
      await eventually(
        async () => healthOf(await health('active.internal'), b),
        (h) => h === 'UNHEALTHY',
      );
      // Each worker runs its own probes (the endpoint reads the first worker that answers): the
      // other one marks the target within an interval or two.
      await eventually(
        () => spread('/active', 6),
        (counts) => counts[1] === 0,
      );
    } finally {
      failing[1] = false;
    }
    await eventually(
      async () => healthOf(await health('active.internal'), b),
      (h) => h === 'HEALTHY',
    );
  });

  it("refusals as Kong's: unknown target 404, unknown address 400, GET 405", async () => {
    const missingTarget = await http(
      'PUT',
      `${adminUrl}/upstreams/passive.internal/targets/10.9.9.9:80/healthy`,
    );
    assert.equal(missingTarget.status, 404);
    assert.deepEqual(missingTarget.body, { message: 'Not found' });
    const missingUpstream = await http(
      'PUT',
      `${adminUrl}/upstreams/nope.internal/targets/10.9.9.9:80/healthy`,
    );
    assert.equal(missingUpstream.status, 404);
    const a = servers[0]!.port;
    const wrongAddress = await http(
      'PUT',
      `${adminUrl}/upstreams/passive.internal/targets/127.0.0.1:${a}/127.0.0.2:${a}/unhealthy`,
    );
    assert.equal(wrongAddress.status, 400, wrongAddress.text);
    assert.deepEqual(wrongAddress.body, { message: 'target not found' });
    const get = await http('GET', `${adminUrl}/upstreams/passive.internal/targets/127.0.0.1:${a}/healthy`);
    assert.equal(get.status, 405, get.text);
  });
});
