/**
 * Upstream keep-alive through a running node: a service whose server announces a short idle
 * timeout (`Keep-Alive: timeout=2`, gunicorn's default) still gets its connections reused; one
 * announcing none is kept for upstream_keepalive_idle_timeout.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { serviceAndRoute } from './custom-plugin-fixtures.ts';

/** An upstream counting the connections it accepted, announcing `keepAliveMs` as its idle timeout. */
async function countingUpstream(keepAliveMs: number) {
  const server = createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = keepAliveMs;
  let connections = 0;
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('upstream keep-alive', () => {
  test('a 2 s Keep-Alive hint from the service still lets requests share a connection', async () => {
    await using upstream = await countingUpstream(2_000);
    await using node = await startTraditionalNode({ env: { TURNPIKE_WORKER_PROCESSES: '1' } });
    await serviceAndRoute(node.adminUrl, 'ka', upstream.url, '/ka');
    await eventually(
      () => http('GET', `${node.proxyUrl}/ka/ready`),
      (r) => r.status === 200,
    );
    const before = upstream.connections;
    for (let i = 0; i < 20; i++) {
      const res = await http('GET', `${node.proxyUrl}/ka/${i}`);
      assert.equal(res.status, 200);
    }
    // One connection (two if the first idled out between the probe and the loop), not twenty.
    assert.ok(upstream.connections - before <= 2, `${upstream.connections - before} new connections`);
  });
});
