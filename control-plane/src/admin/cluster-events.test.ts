import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, createLogger } from '@turnpike/shared';
import type { FastifyInstance } from 'fastify';
import { startClusterFeed } from '../cluster-view/feed.ts';
import { MemoryConfigSource } from '../snapshot/index.ts';
import { MemoryDataPlaneRegistry } from '../sync/index.ts';
import type { ClusterEventsView } from './routes/cluster-events.ts';
import { buildBareAdminApi } from './testing/fixture.ts';

const GUI = 'http://127.0.0.1:8002';
const TOKEN = 'tok-123';

/** These routes never reach the DAO: one that throws proves it. */
function adminApi(clusterEvents?: ClusterEventsView): FastifyInstance {
  return buildBareAdminApi({
    config: { ...buildConfig({ env: {}, cwd: '/tmp' }).config, admin_token: TOKEN },
    corsOrigins: () => [GUI],
    ...(clusterEvents === undefined ? {} : { clusterEvents }),
  });
}

describe('Admin API CORS for the Admin GUI', () => {
  it('answers a preflight from the GUI’s origin without the token, naming the token header', async () => {
    await using app = disposable(adminApi());
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/services',
      headers: {
        origin: GUI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,kong-admin-token',
      },
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], GUI);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-headers'], 'content-type,kong-admin-token');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS, POST');
  });

  it('gives another origin Kong’s OPTIONS answer but no Allow-Origin, so a browser stops there', async () => {
    await using app = disposable(adminApi());
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/services',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'GET' },
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
    const get = await app.inject({
      method: 'GET',
      url: '/services',
      headers: { origin: 'http://evil.test', 'kong-admin-token': TOKEN },
    });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  });

  it('adds the GUI’s origin to real responses, and keeps Kong’s OPTIONS answer for requests without an Origin', async () => {
    await using app = disposable(adminApi());
    const res = await app.inject({
      method: 'GET',
      url: '/clustering/data-planes',
      headers: { origin: GUI, 'kong-admin-token': TOKEN },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], GUI);
    const denied = await app.inject({
      method: 'GET',
      url: '/clustering/data-planes',
      headers: { origin: GUI },
    });
    assert.equal(denied.statusCode, 401, 'CORS does not replace the token');
    const options = await app.inject({ method: 'OPTIONS', url: '/clustering/data-planes' });
    assert.equal(options.statusCode, 204);
    assert.equal(options.headers.allow, 'GET, HEAD, OPTIONS');
    assert.equal(options.headers['access-control-allow-origin'], undefined);
  });
});

describe('GET /clustering/events and /clustering/timeline', () => {
  it('streams a snapshot, then each data-plane change as it happens, behind the token', async () => {
    const registry = new MemoryDataPlaneRegistry();
    const source = new MemoryConfigSource();
    const feed = startClusterFeed({
      registry,
      source,
      log: createLogger({ level: 'silent' }),
      recentChanges: async () => [],
    });
    await using app = disposable(adminApi(feed));
    const base = await app.listen({ host: '127.0.0.1', port: 0 });

    assert.equal((await fetch(`${base}/clustering/events`)).status, 401);
    const res = await fetch(`${base}/clustering/events`, {
      headers: { 'kong-admin-token': TOKEN, origin: GUI },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('access-control-allow-origin'), GUI);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) assert.fail(`stream ended before ${pattern}: ${text}`);
        text += value;
      }
    };
    await until(/^event: snapshot\ndata: .*\n\n/);
    assert.deepEqual(JSON.parse(/^data: (.*)$/m.exec(text)![1]!), {
      latest: source.latest(),
      data_planes: [],
    });
    registry.upsert('dp1', { connected: true, hostname: 'edge-1' });
    await until(/event: data-plane\ndata: .*"kind":"connect".*"hostname":"edge-1"/);

    await feed.stop('now', Date.now());
    await until(/$/);
    const end = await reader.read();
    assert.equal(end.done, true, 'the stream ends when the feed stops');
  });

  it('lists the timeline, and refuses a bad size with a 400', async () => {
    const feed = startClusterFeed({
      registry: new MemoryDataPlaneRegistry(),
      source: new MemoryConfigSource(),
      log: createLogger({ level: 'silent' }),
      recentChanges: async () => [{ version: 3, entity: 'services', id: 's', op: 'upsert', at: 5, total: 1 }],
    });
    await using app = disposable(adminApi(feed));
    const headers = { 'kong-admin-token': TOKEN };
    const res = await app.inject({ method: 'GET', url: '/clustering/timeline?size=5', headers });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().data[0].version, 3);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/clustering/timeline?size=0', headers })).statusCode,
      400,
    );
  });

  it('answers 404 on a node without a cluster feed', async () => {
    await using app = disposable(adminApi());
    const res = await app.inject({
      method: 'GET',
      url: '/clustering/timeline',
      headers: { 'kong-admin-token': TOKEN },
    });
    assert.equal(res.statusCode, 404);
  });
});

function disposable(app: FastifyInstance): FastifyInstance & AsyncDisposable {
  return Object.assign(app, { [Symbol.asyncDispose]: () => app.close() });
}
