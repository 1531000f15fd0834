import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryConfigSource } from '@turnpike/control-plane/snapshot';
import { type SyncServer, startSyncServer } from '@turnpike/control-plane/sync';
import { type SyncClient, type SyncClientEvent, startSyncClient } from '@turnpike/data-plane/sync';
import { ConfigSyncClient } from '@turnpike/proto';
import { createLogger, type Logger, WorkerError } from '@turnpike/shared';
import {
  type CertificatePair,
  channelCredentials,
  channelOptions,
  generateClusterCertificate,
} from '@turnpike/shared/cluster';
import { configFromEntities, type VersionedConfig } from '@turnpike/shared/sync';
import { Conditions } from '../helpers/conditions.ts';
import { registryUntil } from '../helpers/registry.ts';

// Real gRPC on 127.0.0.1 with shared-mode mTLS; every wait is on an event, never a sleep.

const silent = createLogger({ level: 'silent' });

/** A logger whose lines are kept, to assert on what an operator would read. */
function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
  return { log, lines };
}

let cert: CertificatePair;
let dir: string;
let seq = 0;

before(async () => {
  cert = await generateClusterCertificate();
  dir = await mkdtemp(join(tmpdir(), 'turnpike-sync-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tls = () => ({ mode: 'shared' as const, certPem: cert.certPem, keyPem: cert.keyPem });

function initialConfig() {
  return configFromEntities({
    services: [{ id: 's1', name: 'svc', host: 'backend.internal', port: 80 }],
    routes: [{ id: 'r1', service: { id: 's1' }, paths: ['/'] }],
    plugins: [{ id: 'p1', name: 'key-auth', config: {} }],
  });
}

interface Cluster extends AsyncDisposable {
  source: MemoryConfigSource;
  server: SyncServer;
  restart(): Promise<void>;
  stopServer(): Promise<void>;
}

async function startCluster(
  options: { deadAfterMs?: number; heartbeatIntervalMs?: number } = {},
): Promise<Cluster> {
  const source = new MemoryConfigSource({ config: initialConfig() });
  const start = (port: number) =>
    startSyncServer({
      host: '127.0.0.1',
      port,
      tls: tls(),
      source,
      log: silent,
      turnpikeVersion: '1.2.0',
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
      deadAfterMs: options.deadAfterMs ?? 30_000,
    });
  const cluster: Cluster = {
    source,
    server: await start(0),
    async stopServer() {
      await cluster.server.stop();
    },
    async restart() {
      cluster.server = await start(cluster.server.port);
    },
    async [Symbol.asyncDispose]() {
      await cluster.server.stop();
    },
  };
  return cluster;
}

interface DataPlane extends AsyncDisposable {
  id: string;
  client: SyncClient;
  events: SyncClientEvent[];
  applied: VersionedConfig[];
  /** Resolves when the predicate holds, re-checked after every client event. */
  until(predicate: () => boolean, what: string): Promise<void>;
  /** Set by a 'received' event that arrived before the previous version was answered. */
  overlapped: boolean;
  cacheFile: string;
}

interface DataPlaneOptions {
  port: number;
  id?: string;
  cacheFile?: string;
  plugins?: string[];
  version?: string;
  certPair?: CertificatePair;
  log?: Logger;
  apply?: (next: VersionedConfig) => void | Promise<void>;
}

async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  seq += 1;
  const id = options.id ?? `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  const cacheFile = options.cacheFile ?? join(dir, `${id}.cache`);
  const events: SyncClientEvent[] = [];
  const applied: VersionedConfig[] = [];
  const conditions = new Conditions();
  let pending = false;
  const dp: Partial<DataPlane> & { overlapped: boolean } = { overlapped: false };
  const pair = options.certPair ?? cert;
  const client = await startSyncClient({
    address: `127.0.0.1:${options.port}`,
    tls: { mode: 'shared', certPem: pair.certPem, keyPem: pair.keyPem },
    nodeId: id,
    hostname: `dp-${seq}.test`,
    turnpikeVersion: options.version ?? '1.1.3',
    plugins: (options.plugins ?? ['key-auth', 'acl']).map((name) => ({ name, version: '1.0.0' })),
    labels: ['region:test'],
    cacheFile,
    log: options.log ?? silent,
    backoff: { initialMs: 20, maxMs: 200 },
    apply: async (next) => {
      await options.apply?.(next);
      applied.push(next);
    },
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'received') {
        if (pending) dp.overlapped = true;
        pending = true;
      }
      if (event.type === 'applied' || event.type === 'rejected') pending = false;
      if (event.type === 'disconnected') pending = false;
      conditions.check();
    },
  });
  return Object.assign(dp, {
    id,
    client,
    events,
    applied,
    cacheFile,
    until(predicate: () => boolean, what: string) {
      return conditions.until(predicate).catch(() => assert.fail(what));
    },
    async [Symbol.asyncDispose]() {
      await client.stop();
    },
  }) as DataPlane;
}

const atLatest = (dp: DataPlane, source: MemoryConfigSource) => () =>
  dp.client.state().version === source.latest().version && dp.client.state().hash === source.latest().hash;

describe('config sync transport', { timeout: 60_000 }, () => {
  it('sends a new data plane the whole config as a snapshot, and the registry shows it in sync', async () => {
    await using cluster = await startCluster();
    await using dp = await startDataPlane({ port: cluster.server.port });
    await dp.until(atLatest(dp, cluster.source), 'snapshot applied');
    const received = dp.events.filter((e) => e.type === 'received');
    assert.deepEqual(received, [{ type: 'received', kind: 'snapshot', version: 1 }]);
    assert.equal(dp.applied[0]?.config.get('routes')?.size, 1);
    const record = await registryUntil(cluster.server.registry, dp.id, (r) => r.sync_status === 'normal');
    assert.equal(record.config_hash, cluster.source.latest().hash);
    assert.equal(record.config_version, 1);
    assert.equal(record.ip, '127.0.0.1');
    assert.equal(record.connected, true);
    assert.deepEqual(record.labels, { region: 'test' });
    assert.ok((record.cert_details?.expiry_timestamp ?? 0) > Date.now() / 1000);
    const listed = cluster.server.registry.list().find((item) => item.id === dp.id);
    assert.equal(listed?.hostname.startsWith('dp-'), true);
    assert.equal(listed?.version, '1.1.3');
  });

  it('sends an update to every data plane as a delta', async () => {
    await using cluster = await startCluster();
    const dps = await Promise.all([1, 2, 3].map(() => startDataPlane({ port: cluster.server.port })));
    try {
      await Promise.all(dps.map((dp) => dp.until(atLatest(dp, cluster.source), 'initial snapshot')));
      cluster.source.apply([
        { entity: 'routes', id: 'r2', op: 'upsert', value: { id: 'r2', paths: ['/two'] } },
      ]);
      await Promise.all(dps.map((dp) => dp.until(atLatest(dp, cluster.source), 'delta applied')));
      for (const dp of dps) {
        const last = dp.events.filter((e) => e.type === 'received').at(-1);
        assert.deepEqual(last, { type: 'received', kind: 'delta', version: 2, fromVersion: 1 });
        assert.deepEqual(dp.applied.at(-1)?.config.get('routes')?.get('r2'), { id: 'r2', paths: ['/two'] });
      }
    } finally {
      await Promise.all(dps.map((dp) => dp.client.stop()));
    }
  });

  it('converges every data plane to the same hash after a burst of 1,000 updates, one version in flight at a time', async () => {
    await using cluster = await startCluster();
    // One slow data plane, so that versions pile up while it applies.
    const slow = (next: VersionedConfig) =>
      new Promise<void>((resolve) => setTimeout(resolve, next.version % 7));
    const dps = await Promise.all([
      startDataPlane({ port: cluster.server.port }),
      startDataPlane({ port: cluster.server.port }),
      startDataPlane({ port: cluster.server.port, apply: slow }),
    ]);
    try {
      await Promise.all(dps.map((dp) => dp.until(atLatest(dp, cluster.source), 'initial snapshot')));
      for (let i = 0; i < 1000; i++) {
        cluster.source.apply([
          { entity: 'routes', id: `burst-${i % 50}`, op: 'upsert', value: { id: `burst-${i % 50}`, n: i } },
        ]);
        // Let the event loop breathe now and then, as writes arriving over time would.
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(dps.map((dp) => dp.until(atLatest(dp, cluster.source), 'burst converged')));
      const hashes = new Set(dps.map((dp) => dp.client.state().hash));
      assert.deepEqual([...hashes], [cluster.source.latest().hash]);
      for (const dp of dps) {
        assert.equal(dp.overlapped, false, 'a version arrived while another was in flight');
        const versions = dp.events.flatMap((e) => (e.type === 'received' ? [e.version] : []));
        assert.deepEqual(
          versions,
          [...versions].sort((a, b) => a - b),
          'versions only go forward',
        );
        assert.ok(versions.length < 1000, `coalesced into ${versions.length} pushes`);
        assert.equal(dp.events.filter((e) => e.type === 'rejected').length, 0);
      }
    } finally {
      await Promise.all(dps.map((dp) => dp.client.stop()));
    }
  });

  it('shows config_rejected with the error text when a data plane NACKs, and the data plane keeps its old config', async () => {
    await using cluster = await startCluster();
    await using dp = await startDataPlane({
      port: cluster.server.port,
      apply: (next) => {
        if (next.config.get('routes')?.has('bad')) throw new Error('route bad: invalid path "(("');
      },
    });
    await dp.until(atLatest(dp, cluster.source), 'initial snapshot');
    const good = dp.client.state();
    cluster.source.apply([
      { entity: 'routes', id: 'bad', op: 'upsert', value: { id: 'bad', paths: ['(('] } },
    ]);
    const record = await registryUntil(
      cluster.server.registry,
      dp.id,
      (r) => r.sync_status === 'config_rejected',
    );
    assert.equal(record.last_error, 'route bad: invalid path "(("');
    assert.equal(record.config_version, good.version);
    assert.deepEqual(dp.client.state(), good);
    // The next good version is delivered, and clears the status.
    cluster.source.apply([{ entity: 'routes', id: 'bad', op: 'delete' }]);
    await dp.until(atLatest(dp, cluster.source), 'recovered');
    await registryUntil(cluster.server.registry, dp.id, (r) => r.sync_status === 'normal');
  });

  it('carries a Nack’s catalogue code to the cluster status, beside its text', async () => {
    await using cluster = await startCluster();
    await using dp = await startDataPlane({
      port: cluster.server.port,
      apply: (next) => {
        if (next.config.get('routes')?.has('worker-bad'))
          throw new WorkerError('worker 0: route worker-bad: no');
        if (next.config.get('routes')?.has('bad')) throw new Error('route bad: invalid path');
      },
    });
    await dp.until(atLatest(dp, cluster.source), 'initial snapshot');
    const rejected = (code: string) =>
      registryUntil(cluster.server.registry, dp.id, (r) => r.last_error_code === code);
    cluster.source.apply([{ entity: 'routes', id: 'worker-bad', op: 'upsert', value: { id: 'worker-bad' } }]);
    const byWorker = await rejected('TP_WORKER');
    assert.equal(byWorker.sync_status, 'config_rejected');
    assert.equal(byWorker.last_error, 'worker 0: route worker-bad: no');
    cluster.source.apply([
      { entity: 'routes', id: 'worker-bad', op: 'delete' },
      { entity: 'routes', id: 'bad', op: 'upsert', value: { id: 'bad' } },
    ]);
    await rejected('TP_CONFIG_REJECTED');
    const listed = cluster.server.registry.list().find((item) => item.id === dp.id);
    assert.equal(listed?.last_error_code, 'TP_CONFIG_REJECTED');
    assert.equal(listed?.last_error, 'route bad: invalid path');
    // Back in sync: both fields go.
    cluster.source.apply([{ entity: 'routes', id: 'bad', op: 'delete' }]);
    await registryUntil(cluster.server.registry, dp.id, (r) => r.sync_status === 'normal');
    const cleared = cluster.server.registry.list().find((item) => item.id === dp.id);
    assert.equal(cleared?.last_error, undefined);
    assert.equal(cleared?.last_error_code, undefined);
  });

  it('keeps the config while the control plane is down, then receives only the delta it missed', async () => {
    await using cluster = await startCluster();
    await using dp = await startDataPlane({ port: cluster.server.port });
    await dp.until(atLatest(dp, cluster.source), 'initial snapshot');
    await cluster.stopServer();
    await dp.until(() => !dp.client.state().connected, 'disconnected');
    assert.equal(dp.client.state().hasConfig, true);
    cluster.source.apply([{ entity: 'services', id: 's2', op: 'upsert', value: { id: 's2', host: 'b' } }]);
    const receivedBefore = dp.events.filter((e) => e.type === 'received').length;
    await cluster.restart();
    await dp.until(atLatest(dp, cluster.source), 'caught up after reconnect');
    const afterRestart = dp.events.filter((e) => e.type === 'received').slice(receivedBefore);
    assert.deepEqual(afterRestart, [{ type: 'received', kind: 'delta', version: 2, fromVersion: 1 }]);
  });

  it('serves from its cache file when restarted while the control plane is down', async () => {
    const cluster = await startCluster();
    const first = await startDataPlane({ port: cluster.server.port });
    await first.until(atLatest(first, cluster.source), 'initial snapshot');
    const { version, hash } = first.client.state();
    await first.client.stop();
    await cluster.server.stop();
    await using second = await startDataPlane({
      port: cluster.server.port,
      id: first.id,
      cacheFile: first.cacheFile,
    });
    assert.deepEqual(second.client.state(), {
      hasConfig: true,
      version,
      hash,
      connected: false,
      incompatible: undefined,
    });
    assert.deepEqual(second.events[0], { type: 'cache-loaded', version, hash });
    assert.equal(second.applied[0]?.config.get('services')?.get('s1') !== undefined, true);
  });

  it('starts empty, with a log line naming the file, when the cache file is corrupt', async () => {
    await using cluster = await startCluster();
    const cacheFile = join(dir, 'corrupt.cache');
    await writeFile(cacheFile, '{"format":"turnpike-config-cache/1","version":3,"hash":"x"}\nnot zstd');
    const { log, lines } = capturingLogger();
    await using dp = await startDataPlane({ port: cluster.server.port, cacheFile, log });
    assert.equal(dp.applied.length, 0, 'nothing applied from a corrupt cache');
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.level === 50);
    assert.ok(line, 'an error line was logged');
    assert.equal(line.path, cacheFile);
    assert.match(line.msg, new RegExp(`config cache file ${cacheFile} is unusable`));
    // And the control plane then brings it a config.
    await dp.until(atLatest(dp, cluster.source), 'snapshot after corrupt cache');
  });

  it('sends a data plane lacking a plugin the config uses every version; it refuses them and shows plugin_set_incompatible', async () => {
    await using cluster = await startCluster();
    const { log, lines } = capturingLogger();
    await using dp = await startDataPlane({ port: cluster.server.port, plugins: ['acl'], log });
    await dp.until(() => dp.events.some((e) => e.type === 'rejected'), 'the configuration refused');
    const rejected = dp.events.find((e) => e.type === 'rejected');
    assert.equal(rejected?.type === 'rejected' && rejected.code, 'TP_PLUGIN_SET_INCOMPATIBLE');
    assert.equal(dp.events.filter((e) => e.type === 'refused').length, 0, 'not refused by the control plane');
    const record = await registryUntil(
      cluster.server.registry,
      dp.id,
      // The data plane's Nack, after the control plane's own view at Hello.
      (r) => r.sync_status === 'plugin_set_incompatible' && r.last_error.includes('in use but not enabled'),
    );
    assert.equal(record.last_error_code, 'TP_PLUGIN_SET_INCOMPATIBLE');
    assert.match(record.last_error, /key-auth plugin is in use but not enabled/);
    assert.equal(record.connected, true);
    assert.equal(dp.applied.length, 0, 'nothing applied');
    assert.deepEqual(dp.client.state().incompatible?.missing, ['key-auth']);
    assert.ok(
      lines.some(
        (l) => l.includes('"level":50') && l.includes('data plane lacks plugins the configuration uses'),
      ),
      'logged at error',
    );
  });

  it('refuses a data plane on another major version (turnpike_version_incompatible)', async () => {
    await using cluster = await startCluster();
    await using dp = await startDataPlane({ port: cluster.server.port, version: '2.0.0' });
    const record = await registryUntil(
      cluster.server.registry,
      dp.id,
      (r) => r.sync_status === 'turnpike_version_incompatible',
    );
    assert.match(record.last_error, /2\.0\.0 is incompatible with control plane version 1\.2\.0/);
  });

  it('refuses a data plane presenting another certificate', async () => {
    await using cluster = await startCluster();
    const stranger = await generateClusterCertificate();
    await using dp = await startDataPlane({ port: cluster.server.port, certPair: stranger });
    await dp.until(() => dp.events.some((e) => e.type === 'disconnected'), 'refused by TLS');
    assert.equal(
      dp.events.some((e) => e.type === 'connected'),
      false,
    );
    assert.equal(cluster.server.registry.get(dp.id), undefined);
  });

  it('shows a data plane offline as soon as its stream is gone', async () => {
    await using cluster = await startCluster();
    const dp = await startDataPlane({ port: cluster.server.port });
    await registryUntil(cluster.server.registry, dp.id, (r) => r.sync_status === 'normal');
    const stoppedAt = Date.now();
    await dp.client.stop();
    const record = await registryUntil(cluster.server.registry, dp.id, (r) => r.sync_status === 'offline');
    assert.equal(record.connected, false);
    assert.ok(Date.now() - stoppedAt < 15_000);
  });

  it('shows a data plane offline when it goes silent with its stream still open', async () => {
    await using cluster = await startCluster({ deadAfterMs: 300, heartbeatIntervalMs: 100 });
    // A data plane that says hello, then nothing: no heartbeats, no Ack.
    const options = { mode: 'shared' as const, certPem: cert.certPem, keyPem: cert.keyPem };
    const raw = new ConfigSyncClient(
      `127.0.0.1:${cluster.server.port}`,
      channelCredentials(options),
      channelOptions(options),
    );
    const call = raw.sync();
    call.on('data', () => {});
    call.on('error', () => {});
    call.write({
      kind: {
        $case: 'hello',
        value: {
          nodeId: 'silent-dp',
          hostname: 'silent',
          turnpikeVersion: '1.2.0',
          plugins: [{ name: 'key-auth', version: '1.0.0' }],
          configVersion: 0,
          configHash: '',
          labels: [],
        },
      },
    });
    try {
      await registryUntil(cluster.server.registry, 'silent-dp', (r) => r.connected);
      const record = await registryUntil(
        cluster.server.registry,
        'silent-dp',
        (r) => r.sync_status === 'offline',
      );
      assert.equal(record.connected, false);
    } finally {
      call.cancel();
      raw.close();
    }
  });
});
