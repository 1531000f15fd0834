/**
 * An Upstream with `hash_on = consumer` balances on the consumer an auth plugin authenticated
 * (kong/runloop/balancer/init.lua get_value_to_hash): key-auth on the route, three real targets,
 * entities through the control plane's DAO (plugin-fixtures.ts). Each consumer stays on one
 * target, over plain requests and WebSocket handshakes alike, and consumers spread over targets.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startWebSocketEchoUpstream, type WebSocketEchoUpstream } from '../helpers/upstream.ts';
import { bundledPlugins, type PluginProxy, plugin, pluginProxy } from './plugin-fixtures.ts';
import { type RecordingUpstream, recordingUpstream, send } from './proxy-fixtures.ts';

const ids = {
  service: '00000000-0000-4000-8000-000000000001',
  wsService: '00000000-0000-4000-8000-000000000002',
  upstream: '00000000-0000-4000-8000-000000000003',
  wsUpstream: '00000000-0000-4000-8000-000000000004',
  route: '00000000-0000-4000-8000-0000000000a1',
  wsRoute: '00000000-0000-4000-8000-0000000000a2',
};

/** Eight consumers with fixed ids: the targets they hash to are the same on every run. */
const CONSUMERS = Array.from({ length: 8 }, (_, i) => ({
  id: `00000000-0000-4000-8000-0000000000c${i}`,
  username: `consumer-${i}`,
  key: `key-${i}`,
}));

const REQUESTS_EACH = 4;

function hashingUpstream(id: string, name: string) {
  return { id, name, algorithm: 'consistent-hashing', hash_on: 'consumer' };
}

function targets(upstreamId: string, ports: readonly number[]) {
  return ports.map((port) => ({
    id: crypto.randomUUID(),
    target: `127.0.0.1:${port}`,
    upstream: { id: upstreamId },
  }));
}

describe('hash_on = consumer', () => {
  let http: RecordingUpstream[] = [];
  let ws: WebSocketEchoUpstream[] = [];
  let proxy: PluginProxy;

  before(async () => {
    http = await Promise.all([recordingUpstream(), recordingUpstream(), recordingUpstream()]);
    ws = await Promise.all([
      startWebSocketEchoUpstream(),
      startWebSocketEchoUpstream(),
      startWebSocketEchoUpstream(),
    ]);
    proxy = await pluginProxy(await bundledPlugins(), {
      services: [
        { id: ids.service, protocol: 'http', host: 'backend.internal', port: 80 },
        { id: ids.wsService, protocol: 'http', host: 'ws-backend.internal', port: 80 },
      ],
      routes: [
        { id: ids.route, paths: ['/plain'], service: { id: ids.service } },
        { id: ids.wsRoute, paths: ['/ws'], service: { id: ids.wsService } },
      ],
      upstreams: [
        hashingUpstream(ids.upstream, 'backend.internal'),
        hashingUpstream(ids.wsUpstream, 'ws-backend.internal'),
      ],
      targets: [
        ...targets(
          ids.upstream,
          http.map((u) => u.port),
        ),
        ...targets(
          ids.wsUpstream,
          ws.map((u) => u.port),
        ),
      ],
      consumers: CONSUMERS.map(({ id, username }) => ({ id, username })),
      keyauth_credentials: CONSUMERS.map(({ id, key }) => ({
        id: crypto.randomUUID(),
        key,
        consumer: { id },
      })),
      plugins: [plugin('key-auth', ids.route), plugin('key-auth', ids.wsRoute)],
    });
  });

  after(async () => {
    await proxy?.[Symbol.asyncDispose]();
    for (const u of [...http, ...ws]) await u[Symbol.asyncDispose]();
  });

  it('sends each consumer to one target every time, and different consumers to different targets', async () => {
    await assertSticky(
      () => http.map((u) => u.received.length),
      async (consumer) => {
        const res = await send(proxy.port, '/plain', { apikey: consumer.key });
        assert.equal(res.status, 200, res.body);
        const served = http.find((u) => u.received.at(-1)?.headers.apikey === consumer.key);
        assert.equal(served?.received.at(-1)?.headers['x-consumer-id'], consumer.id);
      },
    );
  });

  it('balances WebSocket handshakes on the consumer the same way', async () => {
    await assertSticky(
      () => ws.map((u) => u.handshakes.length),
      async (consumer) => {
        const socket = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws`, {
          headers: { apikey: consumer.key },
        });
        await once(socket, 'open');
        socket.close();
        await once(socket, 'close');
      },
    );
  });
});

/**
 * Sends REQUESTS_EACH requests for every consumer (`request`) and reads, from `counts` (requests
 * each target saw so far), which targets served them: one per consumer, more than one in all.
 */
async function assertSticky(
  counts: () => number[],
  request: (consumer: (typeof CONSUMERS)[number]) => Promise<void>,
): Promise<void> {
  const chosen = new Set<number>();
  for (const consumer of CONSUMERS) {
    const before = counts();
    for (let i = 0; i < REQUESTS_EACH; i++) await request(consumer);
    const served = counts().map((n, k) => n - before[k]!);
    assert.deepEqual(
      served.filter((n) => n > 0),
      [REQUESTS_EACH],
      `${consumer.username} stayed on one target: ${served}`,
    );
    chosen.add(served.indexOf(REQUESTS_EACH));
  }
  assert.ok(chosen.size >= 2, `consumers spread over the targets, not all on one: ${[...chosen]}`);
}
