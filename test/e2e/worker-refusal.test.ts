/**
 * A version refused by one proxy worker of two: the worker pool, real ProxyWorkers (listeners on
 * 127.0.0.1, balancers, DNS, active probes over HTTP) and real upstreams, in this process so the
 * test can read each worker's balancer. Worker 2 loaded no plugins and refuses a version that
 * uses one; worker 1 had already swapped it in and is sent the previous version back. Both must
 * then balance exactly as before: same targets, active and passive health, failure counters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  balancerHealth,
  DEFAULT_RESOLVER_SETTINGS,
  type UpstreamBalancer,
} from '@turnpike/data-plane/balancer';
import { DEFAULT_SETTINGS } from '@turnpike/data-plane/proxy';
import {
  ProxyWorker,
  type SpawnWorker,
  type WorkerMessage,
  WorkerPool,
  type WorkerSettings,
} from '@turnpike/data-plane/workers';
import { createLogger } from '@turnpike/shared';
import type { VersionedConfig } from '@turnpike/shared/sync';
import { eventually } from '../helpers/http.ts';
import { bundledPlugins, type Entities, plugin, syncedStore } from './plugin-fixtures.ts';
import { closedPort, type RecordingUpstream, recordingUpstream, send } from './proxy-fixtures.ts';

const IDS = {
  service: '00000000-0000-4000-8000-000000000001',
  route: '00000000-0000-4000-8000-000000000002',
  keyed: '00000000-0000-4000-8000-000000000003',
  upstream: '00000000-0000-4000-8000-000000000004',
  a: '00000000-0000-4000-8000-00000000000a',
  b: '00000000-0000-4000-8000-00000000000b',
  c: '00000000-0000-4000-8000-00000000000c',
};

const SETTINGS: WorkerSettings = {
  memCacheSize: 128 * 1024 * 1024,
  logLevel: 'fatal',
  listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
  streamListen: [],
  proxy: DEFAULT_SETTINGS,
  tls: undefined,
  pools: { keepalivePoolSize: 60, keepaliveMaxRequests: 1000, keepaliveIdleTimeout: 60 },
  plugins: { enabled: ['bundled'], pluginPaths: [] },
  dns: { staleTtl: 3600, errorTtl: 1, notFoundTtl: 30 },
  resolver: DEFAULT_RESOLVER_SETTINGS,
  routerFlavor: 'traditional_compatible',
  // Each in-process worker counts alone (the node-wide counters are the pool's over IPC).
  workers: 1,
  nodeId: '00000000-0000-4000-8000-000000000000',
  logs: { prefix: '/nonexistent', accessLog: 'off', accessLogFormat: 'kong', errorLog: 'off' },
};

/**
 * Workers run by this process instead of node:cluster: messages are structured-cloned and
 * delivered on a later tick, as over the IPC channel. Each worker listens on a port of its own.
 */
function inProcessWorkers(settingsOf: (slot: number) => WorkerSettings) {
  const workers = new Map<number, ProxyWorker>();
  const spawn: SpawnWorker = (slot, events) => {
    let started: Promise<ProxyWorker> | undefined;
    const reply = (message: WorkerMessage) => setImmediate(() => events.message(structuredClone(message)));
    const exit = (signal: string | null) =>
      void started?.then((w) => w.stop('now', Date.now())).finally(() => events.exit(0, signal));
    return {
      pid: process.pid,
      send(sent) {
        const message = structuredClone(sent);
        setImmediate(() => {
          if (message.type === 'start') {
            started = ProxyWorker.start(slot, settingsOf(slot), message.config, reply);
            started.then(
              (worker) => workers.set(slot, worker),
              (error: unknown) => reply({ type: 'start-failed', error: String(error) }),
            );
          } else if (message.type === 'stop') exit(null);
          else if (message.type === 'plugin-admin')
            void started?.then((worker) => worker.pluginAdmin(message));
          else if (message.type === 'reopen-logs') void started?.then((worker) => worker.reopenLogs());
          else if (message.type === 'metrics')
            void started?.then((worker) => worker.sendMetrics(message.seq));
          else if (message.type === 'apply' || message.type === 'apply-delta')
            void started?.then((worker) => worker.handle(message));
        });
      },
      kill: (signal) => exit(signal),
    };
  };
  return { spawn, workers };
}

/** Everything a request or a probe reads of a balancer, health counters included. */
function observed(balancer: UpstreamBalancer | undefined) {
  assert.ok(balancer !== undefined);
  return {
    targets: [...balancer.targets()].map((t) => [t.config.target, t.weight]),
    peers: balancer.peers().map((p) => ({ key: p.key, weight: p.weight, state: { ...p.state } })),
  };
}

describe('a version one worker refuses', () => {
  let a: RecordingUpstream;
  let b: RecordingUpstream;
  let cPort: number;
  let pool: WorkerPool;
  let workers: Map<number, ProxyWorker>;
  let v1: VersionedConfig;
  let v2: VersionedConfig;

  function entities(targets: Entities['targets']): Entities {
    return {
      services: [{ id: IDS.service, name: 'balanced', host: 'backend.internal', port: 80 }],
      routes: [
        { id: IDS.route, paths: ['/'], service: { id: IDS.service } },
        { id: IDS.keyed, paths: ['/keyed'], service: { id: IDS.service } },
      ],
      upstreams: [
        {
          id: IDS.upstream,
          name: 'backend.internal',
          healthchecks: {
            // Probes find B failing at once; A's successes and C's refused connections count for nothing.
            active: {
              http_path: '/health',
              healthy: { interval: 0.05, successes: 0 },
              unhealthy: { interval: 0.05, http_failures: 1, tcp_failures: 0 },
            },
            passive: { unhealthy: { tcp_failures: 3 } },
          },
        },
      ],
      targets,
    };
  }

  const balancerOf = (slot: number) => workers.get(slot)?.config.runtime.current.upstreams.get(IDS.upstream);
  const healthOf = (slot: number, id: string) =>
    balancerHealth(workers.get(slot)!.config.runtime.current, IDS.upstream)!.data.find((t) => t.id === id)!;
  const tcpFailuresOfC = (slot: number) =>
    balancerOf(slot)!
      .peers()
      .find((p) => p.port === cPort)!.state.tcpFailures;

  before(async () => {
    a = await recordingUpstream();
    b = await recordingUpstream((_req, res) => {
      res.statusCode = 500;
      res.end('failing');
    });
    cPort = await closedPort();
    const target = (id: string, port: number, weight = 100) => ({
      id,
      target: `127.0.0.1:${port}`,
      weight,
      upstream: { id: IDS.upstream },
    });
    const plugins = await bundledPlugins();
    await using store = await syncedStore(plugins.schemas);
    await store.write(entities([target(IDS.a, a.port), target(IDS.b, b.port), target(IDS.c, cPort)]));
    v1 = await store.snapshot();
    // Target C gone, A reweighted, and key-auth on /keyed, which worker 2 has not loaded.
    await store.dao.entity('targets').delete(IDS.c);
    await store.dao.entity('targets').update(IDS.a, { weight: 50 });
    await store.write({ plugins: [plugin('key-auth', IDS.keyed)] });
    v2 = await store.snapshot();
    const fleet = inProcessWorkers((slot) =>
      slot === 2 ? { ...SETTINGS, plugins: { enabled: [], pluginPaths: [] } } : SETTINGS,
    );
    workers = fleet.workers;
    pool = new WorkerPool({
      count: 2,
      spawn: fleet.spawn,
      settings: SETTINGS,
      log: createLogger({ level: 'silent' }),
      restartDelay: () => 0,
    });
    await pool.start();
    await pool.apply(v1);
  });

  after(async () => {
    await pool?.stop('now', Date.now());
    await a?.[Symbol.asyncDispose]();
    await b?.[Symbol.asyncDispose]();
  });

  it("leaves both workers' targets, health and counters as they were, and they go on from there", async () => {
    // Worker 1's listener: the pool reports the first running worker's ports.
    const port = pool.ports[0]!;
    // Active probes find B unhealthy on both workers; two of C's three allowed failures are used up.
    await eventually(
      async () => [healthOf(1, IDS.b).health, healthOf(2, IDS.b).health],
      (h) => h.every((value) => value === 'UNHEALTHY'),
    );
    for (let i = 0; i < 10 && tcpFailuresOfC(1) < 2; i++) assert.equal((await send(port, '/')).status, 200);
    assert.equal(tcpFailuresOfC(1), 2);
    const before = [observed(balancerOf(1)), observed(balancerOf(2))];

    await assert.rejects(pool.apply(v2), /worker 2: .*key-auth plugin is in use but not enabled/);

    assert.equal(pool.version, v1.version);
    assert.deepEqual(
      pool.workers().map((w) => w.config_version),
      [v1.version, v1.version],
    );
    assert.deepEqual([observed(balancerOf(1)), observed(balancerOf(2))], before);
    // Probes go on: B is probed again, and stays unhealthy.
    const probe = await b.next();
    assert.equal(probe.url, '/health');
    assert.equal(healthOf(1, IDS.b).health, 'UNHEALTHY');
    // C's counter goes on from 2: the next failure makes it unhealthy.
    for (let i = 0; i < 4 && tcpFailuresOfC(1) === 2 && healthOf(1, IDS.c).health === 'HEALTHY'; i++) {
      assert.equal((await send(port, '/')).status, 200);
    }
    assert.equal(healthOf(1, IDS.c).health, 'UNHEALTHY');
  });
});
