/**
 * gRPC through upstreams on a running node: two real grpc-js servers as the targets of one
 * Upstream entity, each serving the echo service and the standard health service
 * (grpc.health.v1.Health/Check, flipped SERVING / NOT_SERVING by the test). Balancing across
 * targets, retry on connect failure with passive health, and the `grpc` active probe.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Client,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthService,
} from '@turnpike/proto';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { http } from '../helpers/http.ts';
import { ECHO_SERVICE, echoClient, unary } from './grpc-fixtures.ts';
import { closedPort } from './proxy-fixtures.ts';

interface TaggedServer extends AsyncDisposable {
  readonly port: number;
  /** What Health/Check answers from now on. */
  serving: boolean;
  /** Health checks received. */
  checks: number;
}

/** A grpc-js server whose Unary answers its `tag`, with a health service the test flips. */
async function taggedServer(tag: string): Promise<TaggedServer> {
  const server = new Server();
  const state = { serving: true, checks: 0 };
  server.addService(ECHO_SERVICE, {
    Unary(_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
      callback(null, Buffer.from(tag));
    },
  });
  server.addService(HealthService, {
    check(
      _call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ) {
      state.checks++;
      callback(null, {
        status: state.serving
          ? HealthCheckResponse_ServingStatus.SERVING
          : HealthCheckResponse_ServingStatus.NOT_SERVING,
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return Object.assign(state, {
    port,
    async [Symbol.asyncDispose]() {
      server.forceShutdown();
    },
  });
}

/** `n` unary calls; how many each tag answered (a failed call counts as `error`). */
async function spread(client: Client, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await unary(client, 'Unary', Buffer.from('x'));
    const key = res.error ? `error ${res.error.code}` : String(res.value);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function gatewayWith(upstreamBody: Record<string, unknown>, targets: string[]) {
  const port = await freePort();
  const node = await startTraditionalNode({ env: { TURNPIKE_PROXY_LISTEN: `127.0.0.1:${port} http2` } });
  const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
    const res = await http('POST', `${node.adminUrl}${path}`, body);
    assert.equal(res.status, 201, `${path}: ${res.text}`);
  };
  await created('/upstreams', { name: 'echo.grpc', ...upstreamBody });
  for (const target of targets) await created('/upstreams/echo.grpc/targets', { target });
  await created('/services', { name: 'echo', url: 'grpc://echo.grpc' });
  await created('/services/echo/routes', { name: 'echo', protocols: ['grpc'], paths: ['/test.Echo/'] });
  await created('/plugins', { name: 'prometheus', config: { upstream_health_metrics: true } });
  const client = echoClient(`127.0.0.1:${port}`);
  // The route reaches the proxy after the sync: wait for a first answer from a target.
  await until('the route', async () => !(await unary(client, 'Unary', Buffer.from('x'))).error);
  /** kong_upstream_target_health (the prometheus plugin): the value of `state` for the target. */
  const health = async (target: string, state: string): Promise<number | undefined> => {
    const res = await http('GET', `${node.statusUrl}/metrics`);
    for (const line of res.text.split('\n')) {
      if (!line.startsWith('kong_upstream_target_health{')) continue;
      if (line.includes(`target="${target}"`) && line.includes(`state="${state}"`))
        return Number(line.split(' ').pop());
    }
    return undefined;
  };
  return Object.assign(node, { client, health });
}

describe('gRPC through upstreams', () => {
  it('balances calls across targets, retries a target that refuses connections, and marks it unhealthy', async () => {
    await using a = await taggedServer('a');
    await using b = await taggedServer('b');
    const dead = await closedPort();
    await using node = await gatewayWith({ healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } }, [
      `127.0.0.1:${a.port}`,
      `127.0.0.1:${b.port}`,
      `127.0.0.1:${dead}`,
    ]);
    try {
      const counts = await spread(node.client, 30);
      assert.deepEqual(Object.keys(counts).sort(), ['a', 'b'], JSON.stringify(counts));
      assert.ok(counts.a! >= 5 && counts.b! >= 5, JSON.stringify(counts));
      assert.equal(await node.health(`127.0.0.1:${dead}`, 'unhealthy'), 1);
      assert.equal(await node.health(`127.0.0.1:${a.port}`, 'unhealthy'), 0);
      assert.equal(await node.health(`127.0.0.1:${a.port}`, 'healthy'), 1);
    } finally {
      node.client.close();
    }
  });

  it('probes targets with grpc.health.v1.Health/Check: NOT_SERVING takes a target out, SERVING brings it back', async () => {
    await using a = await taggedServer('a');
    await using b = await taggedServer('b');
    const active = {
      type: 'grpc',
      healthy: { interval: 0.1, successes: 1 },
      unhealthy: { interval: 0.1, http_failures: 1 },
    };
    await using node = await gatewayWith({ healthchecks: { active } }, [
      `127.0.0.1:${a.port}`,
      `127.0.0.1:${b.port}`,
    ]);
    try {
      await until('both targets to answer', async () => {
        const counts = await spread(node.client, 10);
        return counts.a !== undefined && counts.b !== undefined;
      });
      // The first probe comes one interval after the balancer starts: on a busy machine, later than traffic.
      await until('both targets to be probed', async () => a.checks > 0 && b.checks > 0);

      a.serving = false;
      // Every worker probes: a is out once no worker counts it healthy.
      await until(
        'a to be unhealthy',
        async () => (await node.health(`127.0.0.1:${a.port}`, 'healthy')) === 0,
      );
      assert.deepEqual(await spread(node.client, 20), { b: 20 });

      a.serving = true;
      await until(
        'a to be healthy',
        async () => (await node.health(`127.0.0.1:${a.port}`, 'unhealthy')) === 0,
      );
      const counts = await spread(node.client, 20);
      assert.ok(counts.a! >= 3 && counts.b! >= 3, JSON.stringify(counts));
    } finally {
      node.client.close();
    }
  });
});
