import assert from 'node:assert/strict';
import { mkdtempDisposable } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemoryConfigSource } from '@turnpike/control-plane/snapshot';
import { inProcessConnector, type SyncHub, startSyncHub } from '@turnpike/control-plane/sync';
import { type SyncClient, type SyncClientEvent, startSyncClient } from '@turnpike/data-plane/sync';
import type { ControlPlaneMessage } from '@turnpike/proto';
import { createLogger, WorkerError } from '@turnpike/shared';
import { configFromEntities, type VersionedConfig } from '@turnpike/shared/sync';
import { Conditions } from '../helpers/conditions.ts';
import { registryUntil } from '../helpers/registry.ts';

// A traditional node's link: the control plane's hub and the data plane's sync client joined by
// the in-process pipe (no gRPC), with the protocol's semantics end to end. The gRPC link's twin
// is sync-transport.test.ts.

const silent = createLogger({ level: 'silent' });

function initialConfig() {
  return configFromEntities({
    services: [{ id: 's1', name: 'svc', host: 'backend.internal', port: 80 }],
    routes: [{ id: 'r1', service: { id: 's1' }, paths: ['/'] }],
  });
}

interface Link extends AsyncDisposable {
  source: MemoryConfigSource;
  hub: SyncHub;
  client: SyncClient;
  events: SyncClientEvent[];
  /** Resolves once the predicate holds, re-checked after every client event. */
  until(predicate: () => boolean): Promise<void>;
}

const NODE_ID = '00000000-0000-4000-8000-000000000001';

async function startLink(
  options: { apply?: (next: VersionedConfig) => void | Promise<void>; ackTimeoutMs?: number } = {},
): Promise<Link> {
  const dir = await mkdtempDisposable(join(tmpdir(), 'turnpike-inproc-'));
  const source = new MemoryConfigSource({ config: initialConfig() });
  const hub = startSyncHub({
    source,
    log: silent,
    turnpikeVersion: '1.2.0',
    ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
  });
  const events: SyncClientEvent[] = [];
  const conditions = new Conditions();
  const client = await startSyncClient({
    inProcess: inProcessConnector(hub),
    nodeId: NODE_ID,
    hostname: 'traditional.test',
    turnpikeVersion: '1.2.0',
    plugins: [],
    cacheFile: join(dir.path, 'config.cache'),
    log: silent,
    backoff: { initialMs: 20, maxMs: 200 },
    apply: async (next) => options.apply?.(next),
    onEvent: (event) => {
      events.push(event);
      conditions.check();
    },
  });
  return {
    source,
    hub,
    client,
    events,
    until: (predicate) => conditions.until(predicate),
    async [Symbol.asyncDispose]() {
      await client.stop();
      hub.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

const atLatest = (link: Link) => () =>
  link.client.state().version === link.source.latest().version &&
  link.client.state().hash === link.source.latest().hash;

describe('config sync in-process', { timeout: 30_000 }, () => {
  it('Hello, a snapshot, then deltas, each Acked; the registry lists the data plane as over loopback', async () => {
    await using link = await startLink();
    await link.until(atLatest(link));
    const record = await registryUntil(link.hub.registry, NODE_ID, (r) => r.sync_status === 'normal');
    assert.equal(record.ip, '127.0.0.1');
    assert.equal(record.connected, true);
    assert.equal(record.hostname, 'traditional.test');
    assert.equal(record.cert_details, undefined, 'no certificate in-process');
    link.source.apply([{ entity: 'routes', id: 'r2', op: 'upsert', value: { id: 'r2', paths: ['/two'] } }]);
    await link.until(atLatest(link));
    const received = link.events.flatMap((e) => (e.type === 'received' ? [[e.kind, e.version]] : []));
    assert.deepEqual(received, [
      ['snapshot', 1],
      ['delta', 2],
    ]);
    await registryUntil(
      link.hub.registry,
      NODE_ID,
      (r) => r.config_version === 2 && r.sync_status === 'normal',
    );
  });

  it('a Nack reaches the registry with its code; the next version is applied', async () => {
    let refuse = true;
    await using link = await startLink({
      apply: () => {
        if (refuse) throw new WorkerError('worker 1 refused it');
      },
    });
    const rejected = await registryUntil(
      link.hub.registry,
      NODE_ID,
      (r) => r.sync_status === 'config_rejected',
    );
    assert.equal(rejected.last_error_code, 'TP_WORKER');
    refuse = false;
    link.source.apply([{ entity: 'routes', id: 'r3', op: 'upsert', value: { id: 'r3', paths: ['/3'] } }]);
    await link.until(atLatest(link));
    await registryUntil(
      link.hub.registry,
      NODE_ID,
      (r) => r.sync_status === 'normal' && r.config_version === 2,
    );
  });

  it('an unanswered version closes the stream (Ack timeout); the data plane reconnects and catches up', async () => {
    let hang = true;
    await using link = await startLink({
      ackTimeoutMs: 200,
      apply: async () => {
        if (!hang) return;
        hang = false;
        await new Promise((resolve) => setTimeout(resolve, 600));
        throw new Error('too late');
      },
    });
    const timedOut = await registryUntil(
      link.hub.registry,
      NODE_ID,
      (r) => r.last_error_code === 'TP_SYNC_ACK_TIMEOUT',
    );
    assert.match(timedOut.last_error ?? '', /no Ack or Nack/);
    await link.until(() => link.events.some((e) => e.type === 'disconnected'));
    await link.until(atLatest(link));
    assert.ok(link.events.filter((e) => e.type === 'connected').length >= 2, 'reconnected');
    await registryUntil(link.hub.registry, NODE_ID, (r) => r.sync_status === 'normal' && r.connected);
  });

  it('a stopped data plane shows offline; a stopped hub closes the stream UNAVAILABLE and refuses new ones', async () => {
    await using link = await startLink();
    await link.until(atLatest(link));
    link.hub.stop();
    await link.until(() => link.events.some((e) => e.type === 'disconnected'));
    const disconnected = link.events.find((e) => e.type === 'disconnected');
    assert.deepEqual(disconnected, { type: 'disconnected', error: 'control plane shutting down' });
    await registryUntil(link.hub.registry, NODE_ID, (r) => r.sync_status === 'offline' && !r.connected);
    // Its reconnect attempts are closed at once, and do not list it again.
    await link.until(() => link.events.filter((e) => e.type === 'disconnected').length >= 2);
    assert.equal(link.hub.registry.get(NODE_ID)?.connected, false);
    assert.equal(link.client.state().connected, false);
  });

  it('the data plane stopping first: the control plane sees the stream end and shows it offline', async () => {
    await using link = await startLink();
    await link.until(atLatest(link));
    await registryUntil(link.hub.registry, NODE_ID, (r) => r.connected);
    await link.client.stop();
    const record = await registryUntil(link.hub.registry, NODE_ID, (r) => !r.connected);
    assert.equal(record.sync_status, 'offline');
  });

  it('what the control plane sends is a copy: a receiver changing it does not change what was sent', async () => {
    const source = new MemoryConfigSource({ config: initialConfig() });
    const hub = startSyncHub({ source, log: silent, turnpikeVersion: '1.2.0', heartbeatIntervalMs: 50 });
    try {
      const pipe = inProcessConnector(hub)();
      const got: ControlPlaneMessage[] = [];
      pipe.listen({ message: (m) => got.push(m), end: () => {} });
      const hello = {
        kind: {
          $case: 'hello' as const,
          value: {
            nodeId: NODE_ID,
            hostname: 'h',
            turnpikeVersion: '1.2.0',
            plugins: [],
            configVersion: 0,
            configHash: '',
            labels: [],
          },
        },
      };
      pipe.send(hello);
      // Changed after sending: the control plane received it as it was.
      hello.kind.value.hostname = 'changed';
      const snapshotOf = () => got.flatMap((m) => (m.kind?.$case === 'snapshot' ? [m.kind.value] : []));
      while (snapshotOf().length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(hub.registry.get(NODE_ID)?.hostname, 'h');
      const [first] = snapshotOf();
      assert.ok(first !== undefined && Buffer.isBuffer(first.payload));
      first.payload.fill(0);
      // A second stream gets the same encoded snapshot, untouched by the first receiver.
      const second = inProcessConnector(hub)();
      const again: ControlPlaneMessage[] = [];
      second.listen({ message: (m) => again.push(m), end: () => {} });
      second.send({
        kind: { ...hello.kind, value: { ...hello.kind.value, nodeId: `${NODE_ID.slice(0, -1)}2` } },
      });
      while (!again.some((m) => m.kind?.$case === 'snapshot'))
        await new Promise((resolve) => setTimeout(resolve, 5));
      const payload = again.flatMap((m) => (m.kind?.$case === 'snapshot' ? [m.kind.value.payload] : []))[0];
      assert.ok(payload?.some((byte) => byte !== 0));
      pipe.end();
      second.end();
    } finally {
      hub.stop();
    }
  });
});
