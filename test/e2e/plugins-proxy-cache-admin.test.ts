/**
 * proxy-cache's Admin endpoints on a traditional node with two proxy workers: the entries live in
 * the workers, and a read or purge through the Admin API reaches every one of them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
  startTraditionalNode,
} from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { serviceAndRoute } from './custom-plugin-fixtures.ts';
import { send } from './proxy-fixtures.ts';

describe('proxy-cache Admin endpoints', () => {
  test('read and purge entries in every proxy worker, as Kong answers them', async () => {
    await using upstream = await startEchoUpstream('cached');
    await using node = await startTraditionalNode({ env: { TURNPIKE_WORKER_PROCESSES: '2' } });
    const proxyPort = Number(new URL(node.proxyUrl).port);
    const pluginId = await cachedRoute(node.adminUrl, upstream.url);
    // Each request on a new connection: the node spreads them over its workers.
    const get = () => send(proxyPort, '/pc/item');
    const first = await eventually(get, (r) => r.headers['x-cache-status'] !== undefined);
    const key = String(first.headers['x-cache-key']);
    assert.match(key, /^[0-9a-f]{64}$/);
    /** Until both workers hold the entry: two Misses (one per worker), then Hits. */
    const warm = async () => {
      let misses = 0;
      for (let i = 0; i < 40 && misses < 2; i++)
        if ((await get()).headers['x-cache-status'] === 'Miss') misses++;
      assert.equal((await get()).headers['x-cache-status'], 'Hit');
    };
    await warm();

    const entry = await http('GET', `${node.adminUrl}/proxy-cache/${key}`);
    assert.equal(entry.status, 200, entry.text);
    const cached = entry.body as {
      status: number;
      headers: Record<string, string>;
      body: string;
      version: number;
    };
    assert.equal(cached.status, 200);
    assert.equal(cached.headers['X-Cache-Key'], key);
    assert.equal(cached.version, 1);
    assert.equal(JSON.parse(cached.body).upstream, 'cached');
    const byPlugin = await http('GET', `${node.adminUrl}/proxy-cache/${pluginId}/caches/${key}`);
    assert.equal(byPlugin.status, 200);

    // One key, purged in every worker: no worker has it any more.
    assert.equal((await http('DELETE', `${node.adminUrl}/proxy-cache/${key}`)).status, 204);
    assert.equal((await http('GET', `${node.adminUrl}/proxy-cache/${key}`)).status, 404);
    assert.equal((await http('DELETE', `${node.adminUrl}/proxy-cache/${key}`)).status, 404);
    assert.equal((await get()).headers['x-cache-status'], 'Miss');

    // A plugin that does not exist, an entry that does not: 404 without a body, as Kong.
    const unknownPlugin = await http(
      'GET',
      `${node.adminUrl}/proxy-cache/${crypto.randomUUID()}/caches/${key}`,
    );
    assert.equal(unknownPlugin.status, 404);
    assert.equal(unknownPlugin.text, '');
    assert.equal((await http('DELETE', `${node.adminUrl}/proxy-cache/${pluginId}/caches/nope`)).status, 404);

    // Everything, everywhere.
    await warm();
    assert.equal((await http('DELETE', `${node.adminUrl}/proxy-cache`)).status, 204);
    assert.equal((await http('GET', `${node.adminUrl}/proxy-cache/${key}`)).status, 404);
    assert.equal((await http('GET', `${node.adminUrl}/proxy-cache/${pluginId}/caches/${key}`)).status, 404);
  });

  test('mem_cache_size bounds what the memory strategy holds (÷ proxy workers); 0 keeps nothing', async () => {
    await using upstream = await startEchoUpstream('cached');
    /** Caches `count` distinct paths once each, then says which of the first and the last are still held. */
    const fill = async (memCacheSize: string, count: number) => {
      await using node = await startTraditionalNode({
        env: { TURNPIKE_WORKER_PROCESSES: '1', KONG_MEM_CACHE_SIZE: memCacheSize },
      });
      const proxyPort = Number(new URL(node.proxyUrl).port);
      await cachedRoute(node.adminUrl, upstream.url);
      await eventually(
        () => send(proxyPort, '/pc/ready'),
        (r) => r.headers['x-cache-status'] !== undefined,
      );
      for (let i = 0; i < count; i++) {
        assert.equal((await send(proxyPort, `/pc/item-${i}`)).headers['x-cache-status'], 'Miss');
      }
      const status = async (i: number) => (await send(proxyPort, `/pc/item-${i}`)).headers['x-cache-status'];
      const last = await status(count - 1);
      return { first: await status(0), last };
    };
    // An echoed entry is several hundred bytes: 40 of them fill 4 KiB many times over.
    assert.deepEqual(await fill('4k', 40), { first: 'Miss', last: 'Hit' });
    assert.deepEqual(await fill('128m', 40), { first: 'Hit', last: 'Hit' });
    assert.deepEqual(await fill('0', 2), { first: 'Miss', last: 'Miss' });
  });

  test("hybrid: the control plane has no cache of its own, as Kong's; data planes keep theirs until the TTL", async () => {
    await using pg = await startPostgres();
    await using certs = await genClusterCert();
    await using upstream = await startEchoUpstream('cached');
    await using cp = await startControlPlaneNode(await pg.newDatabase(), certs);
    await using dp = await startDataPlaneNode(cp.clusterPort, certs);
    await cachedRoute(cp.adminUrl, upstream.url);
    const proxyPort = Number(new URL(dp.proxyUrl).port);
    const get = () => send(proxyPort, '/pc/item');
    const first = await eventually(get, (r) => r.headers['x-cache-status'] !== undefined);
    const key = String(first.headers['x-cache-key']);
    await eventually(get, (r) => r.headers['x-cache-status'] === 'Hit');

    assert.equal((await http('GET', `${cp.adminUrl}/proxy-cache/${key}`)).status, 404);
    assert.equal((await http('DELETE', `${cp.adminUrl}/proxy-cache/${key}`)).status, 404);
    assert.equal((await http('DELETE', `${cp.adminUrl}/proxy-cache`)).status, 204);
    // Kong's control plane broadcasts to no data plane: the entry is still served.
    assert.equal((await get()).headers['x-cache-status'], 'Hit');
  });
});

/** Service `svc`, a route `/pc` to `upstream` and a memory proxy-cache on it; the plugin's id. */
async function cachedRoute(adminUrl: string, upstream: string): Promise<string> {
  await serviceAndRoute(adminUrl, 'svc', upstream, '/pc');
  const created = await http('POST', `${adminUrl}/routes/${await routeId(adminUrl)}/plugins`, {
    name: 'proxy-cache',
    config: { strategy: 'memory' },
  });
  assert.equal(created.status, 201, created.text);
  return (created.body as { id: string }).id;
}

async function routeId(adminUrl: string): Promise<string> {
  const routes = await http('GET', `${adminUrl}/services/svc/routes`);
  return (routes.body as { data: { id: string }[] }).data[0]!.id;
}
