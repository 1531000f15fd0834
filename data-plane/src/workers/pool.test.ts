import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, test } from 'node:test';
import { createLogger } from '@turnpike/shared';
import type { VersionedConfig } from '@turnpike/shared/sync';
import { DEFAULT_RESOLVER_SETTINGS } from '../balancer/index.ts';
import { DEFAULT_SETTINGS } from '../proxy/index.ts';
import { workerCount } from './count.ts';
import { WorkerError } from './errors.ts';
import {
  defaultRestartDelay,
  type WorkerChannel,
  type WorkerEvents,
  WorkerPool,
  type WorkerPoolOptions,
} from './pool.ts';
import type { PrimaryMessage, WorkerMessage, WorkerSettings } from './protocol.ts';

const SETTINGS: WorkerSettings = {
  memCacheSize: 128 * 1024 * 1024,
  logLevel: 'info',
  listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
  streamListen: [],
  proxy: DEFAULT_SETTINGS,
  tls: undefined,
  pools: { keepalivePoolSize: 60, keepaliveMaxRequests: 1000, keepaliveIdleTimeout: 60 },
  plugins: { enabled: ['bundled'], pluginPaths: [] },
  dns: { staleTtl: 3600, errorTtl: 1, notFoundTtl: 30 },
  resolver: DEFAULT_RESOLVER_SETTINGS,
  routerFlavor: 'traditional_compatible',
  workers: 2,
  nodeId: '00000000-0000-4000-8000-000000000000',
  logs: { prefix: '/nonexistent', accessLog: 'off', accessLogFormat: 'kong', errorLog: 'off' },
};

function config(version: number): VersionedConfig {
  return { version, hash: `h${version}`, config: new Map([['services', new Map()]]) };
}

/** Decides what a fake worker answers; undefined: it stays silent. */
type Behaviour = (message: PrimaryMessage, worker: FakeWorker) => WorkerMessage | undefined;

const obliging: Behaviour = (message) => {
  if (message.type === 'start')
    return { type: 'ready', version: message.config?.version ?? 0, ports: [8000] };
  if (message.type === 'apply') {
    return { type: 'applied', seq: message.seq, version: message.config?.version ?? 0, problems: [] };
  }
  if (message.type === 'apply-delta') {
    return { type: 'applied', seq: message.seq, version: message.version, problems: [] };
  }
  return undefined;
};

let nextPid = 1000;

class FakeWorker implements WorkerChannel {
  readonly pid = nextPid++;
  readonly slot: number;
  readonly received: PrimaryMessage[] = [];
  readonly #events: WorkerEvents;
  readonly #fleet: FakeFleet;
  alive = true;

  constructor(slot: number, events: WorkerEvents, fleet: FakeFleet) {
    this.slot = slot;
    this.#events = events;
    this.#fleet = fleet;
  }

  send(message: PrimaryMessage): void {
    this.received.push(message);
    // IPC is asynchronous: answers arrive on a later tick, in order.
    setImmediate(() => {
      if (!this.alive) return;
      if (message.type === 'stop') return this.die(0, null);
      const answer = this.#fleet.behaviour(message, this);
      if (answer !== undefined) this.#events.message(answer);
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.#fleet.kills.push({ pid: this.pid, signal });
    setImmediate(() => this.die(null, signal));
  }

  die(code: number | null, signal: string | null): void {
    if (!this.alive) return;
    this.alive = false;
    this.#events.exit(code, signal);
    this.#fleet.emit('exit', this);
  }

  reply(message: WorkerMessage): void {
    if (this.alive) this.#events.message(message);
  }

  applied(): (VersionedConfig | null)[] {
    return this.received.flatMap((m) => (m.type === 'apply' ? [m.config] : []));
  }
}

class FakeFleet extends EventEmitter {
  readonly workers: FakeWorker[] = [];
  readonly kills: { pid: number; signal: NodeJS.Signals }[] = [];
  behaviour: Behaviour = obliging;

  spawn = (slot: number, events: WorkerEvents): WorkerChannel => {
    const worker = new FakeWorker(slot, events, this);
    this.workers.push(worker);
    this.emit('spawn', worker);
    return worker;
  };

  alive(): FakeWorker[] {
    return this.workers.filter((w) => w.alive);
  }
}

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (s: string) => lines.push(JSON.parse(s)) },
  });
  return { log, lines };
}

function poolOf(fleet: FakeFleet, options: Partial<WorkerPoolOptions> = {}) {
  const { log, lines } = capturedLog();
  const pool = new WorkerPool({
    count: 2,
    spawn: fleet.spawn,
    settings: SETTINGS,
    log,
    restartDelay: () => 0,
    ...options,
  });
  return { pool, lines };
}

describe('WorkerPool.replace (a reload)', () => {
  test('starts the new workers with the new settings and the current config before draining the old ones', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet, { count: 2 });
    await pool.start();
    await pool.apply(config(4));
    const old = fleet.alive();
    const next = { ...SETTINGS, listen: [...SETTINGS.listen, { host: '127.0.0.1', port: 0, ssl: true }] };
    await pool.replace(next, 3);
    const fresh = fleet.workers.slice(2);
    assert.equal(fresh.length, 3);
    for (const worker of fresh) {
      const start = worker.received[0];
      assert.equal(start?.type, 'start');
      assert.deepEqual(start?.type === 'start' ? [start.settings, start.config?.version] : [], [next, 4]);
    }
    // The old ones were asked to drain, and leave the pool once gone.
    for (const worker of old) assert.equal(worker.received.at(-1)?.type, 'stop');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      pool.workers().map((w) => w.slot),
      [3, 4, 5],
    );
    await pool.apply(config(5));
    for (const worker of old)
      assert.equal(worker.applied().at(-1)?.version ?? 4, 4, 'retired workers get no config');
    assert.equal(pool.notReadyReason(), undefined);
    await pool.stop('now', Date.now());
  });

  test('keeps the old workers when a new one cannot start, and throws its reason', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet, { count: 2 });
    await pool.start();
    fleet.behaviour = (message, worker) =>
      message.type === 'start' && worker.slot === 4
        ? { type: 'start-failed', error: 'plugin no-such-plugin is not installed' }
        : obliging(message, worker);
    await assert.rejects(pool.replace(SETTINGS, 2), /no-such-plugin/);
    assert.deepEqual(
      pool.workers().map((w) => [w.slot, w.state]),
      [
        [1, 'running'],
        [2, 'running'],
      ],
    );
    assert.deepEqual(
      fleet.alive().map((w) => w.slot),
      [1, 2],
    );
    await pool.stop('now', Date.now());
  });
});

describe('WorkerPool', () => {
  test('start resolves once every worker listens, and each was started with the same settings', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet, { count: 3 });
    await pool.start();
    assert.equal(fleet.workers.length, 3);
    assert.deepEqual(
      fleet.workers.map((w) => w.received[0]),
      [1, 2, 3].map((slot) => ({ type: 'start', slot, settings: SETTINGS, config: null })),
    );
    assert.deepEqual(pool.ports, [8000]);
    assert.deepEqual(
      pool.workers().map((w) => [w.slot, w.state, w.config_version]),
      [
        [1, 'running', 0],
        [2, 'running', 0],
        [3, 'running', 0],
      ],
    );
    assert.equal(pool.notReadyReason(), undefined);
    await pool.stop('now', Date.now());
  });

  test('apply resolves when every worker swapped, and each got the whole configuration', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet);
    await pool.start();
    const next = config(7);
    await pool.apply(next);
    assert.equal(pool.version, 7);
    for (const worker of fleet.workers) assert.deepEqual(worker.applied(), [next]);
    assert.deepEqual(
      pool.workers().map((w) => w.config_version),
      [7, 7],
    );
    await pool.stop('now', Date.now());
  });

  test('a worker on the previous version is sent only the changes; one behind is sent everything', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet);
    await pool.start();
    await pool.apply(config(1));
    const changes = [{ entity: 'routes', id: 'r1', op: 'delete' as const }];
    await pool.apply(config(2), { fromVersion: 1, changes });
    for (const worker of fleet.workers) {
      const last = worker.received.at(-1);
      assert.equal(last?.type, 'apply-delta');
      assert.deepEqual(last?.type === 'apply-delta' && [last.fromVersion, last.version, last.changes], [
        1,
        2,
        changes,
      ]);
    }
    // A delta that does not build on the pool's version is not used.
    await pool.apply(config(4), { fromVersion: 3, changes });
    for (const worker of fleet.workers) assert.deepEqual(worker.applied().at(-1), config(4));
    assert.deepEqual(
      pool.workers().map((w) => w.config_version),
      [4, 4],
    );
    await pool.stop('now', Date.now());
  });

  test('a worker that answers a delta with stale is sent the whole configuration', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet);
    await pool.start();
    await pool.apply(config(1));
    fleet.behaviour = (message, worker) =>
      message.type === 'apply-delta' && worker.slot === 2
        ? { type: 'apply-failed', seq: message.seq, error: 'holds none', stale: true }
        : obliging(message, worker);
    await pool.apply(config(2), { fromVersion: 1, changes: [] });
    assert.deepEqual(fleet.workers[0]!.applied(), [config(1)]);
    assert.deepEqual(fleet.workers[1]!.applied(), [config(1), config(2)]);
    assert.equal(pool.version, 2);
    await pool.stop('now', Date.now());
  });

  test('a refusal throws that worker’s message and sends the previous configuration back to the others', async () => {
    const fleet = new FakeFleet();
    const { pool, lines } = poolOf(fleet, { count: 3 });
    await pool.start();
    const v1 = config(1);
    await pool.apply(v1);
    fleet.behaviour = (message, worker) =>
      message.type === 'apply' && message.config?.version === 2 && worker.slot === 2
        ? { type: 'apply-failed', seq: message.seq, error: 'route r1: invalid regex' }
        : obliging(message, worker);
    await assert.rejects(pool.apply(config(2)), (error: unknown) => {
      assert.ok(error instanceof WorkerError);
      assert.equal(error.code, 'TP_WORKER');
      assert.equal(error.message, 'worker 2: route r1: invalid regex');
      return true;
    });
    assert.equal(pool.version, 1, 'the pool stays on the version it had');
    const [one, two, three] = fleet.workers;
    assert.deepEqual(
      one?.applied().map((c) => c?.version),
      [1, 2, 1],
    );
    assert.deepEqual(
      two?.applied().map((c) => c?.version),
      [1, 2],
      'the refusing worker never swapped',
    );
    assert.deepEqual(
      three?.applied().map((c) => c?.version),
      [1, 2, 1],
    );
    assert.deepEqual(
      pool.workers().map((w) => w.config_version),
      [1, 1, 1],
    );
    assert.equal(pool.notReadyReason(), undefined);
    assert.ok(
      lines.some(
        (l) => l.msg === 'a worker refused the configuration; every worker goes back to the previous one',
      ),
    );
    await pool.stop('now', Date.now());
  });

  test('a refusal of the first configuration sends the workers back to the empty one', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet);
    await pool.start();
    fleet.behaviour = (message, worker) =>
      message.type === 'apply' && worker.slot === 1 && message.config !== null
        ? { type: 'apply-failed', seq: message.seq, error: 'no' }
        : obliging(message, worker);
    await assert.rejects(pool.apply(config(3)), /worker 1: no/);
    assert.deepEqual(fleet.workers[1]?.applied(), [config(3), null]);
    assert.equal(pool.version, 0);
    await pool.stop('now', Date.now());
  });

  test('a worker that dies during an apply fails it, and is restarted on the previous version', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet);
    await pool.start();
    await pool.apply(config(1));
    fleet.behaviour = (message, worker) => {
      if (message.type === 'apply' && message.config?.version === 2 && worker.slot === 1) {
        worker.die(null, 'SIGSEGV');
        return undefined;
      }
      return obliging(message, worker);
    };
    const restarted = once(fleet, 'spawn');
    await assert.rejects(pool.apply(config(2)), /worker 1: the worker was killed by SIGSEGV/);
    const [replacement] = (await restarted) as [FakeWorker];
    assert.equal(replacement.slot, 1);
    assert.deepEqual(replacement.received[0], {
      type: 'start',
      slot: 1,
      settings: SETTINGS,
      config: config(1),
    });
    await pool.stop('now', Date.now());
  });

  test('a worker that dies is restarted in its slot with the current configuration, and its exit is logged', async () => {
    const fleet = new FakeFleet();
    const { pool, lines } = poolOf(fleet);
    await pool.start();
    await pool.apply(config(4));
    const dead = fleet.workers[0]!;
    const restarted = once(fleet, 'spawn');
    dead.die(3, null);
    assert.match(pool.notReadyReason() ?? '', /worker 1 is not running/);
    const [replacement] = (await restarted) as [FakeWorker];
    assert.deepEqual(replacement.received[0], {
      type: 'start',
      slot: 1,
      settings: SETTINGS,
      config: config(4),
    });
    const exitLine = lines.find((l) => l.msg === 'worker process exited with code 3; restarting it');
    assert.equal(exitLine?.code, 3);
    assert.equal(exitLine?.worker_pid, dead.pid);
    await new Promise((resolve) => setImmediate(resolve));
    const [first] = pool.workers();
    assert.deepEqual(first, {
      slot: 1,
      pid: replacement.pid,
      state: 'running',
      config_version: 4,
      restarts: 1,
    });
    assert.equal(pool.notReadyReason(), undefined);
    await pool.stop('now', Date.now());
  });

  test('a worker restarted during an apply starts on the old version and is brought to the new one afterwards', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet);
    await pool.start();
    await pool.apply(config(1));
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Worker 2 holds its answer to version 2 while worker 1 dies and comes back on version 1.
    fleet.behaviour = (message, worker) => {
      if (message.type === 'apply' && message.config?.version === 2 && worker.slot === 2) {
        void held.then(() => worker.reply({ type: 'applied', seq: message.seq, version: 2, problems: [] }));
        return undefined;
      }
      return obliging(message, worker);
    };
    const applying = pool.apply(config(2));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      fleet.workers[0]?.applied().map((c) => c?.version),
      [1, 2],
      'worker 1 swapped',
    );
    const restarted = once(fleet, 'spawn');
    fleet.workers[0]!.die(1, null);
    const [replacement] = (await restarted) as [FakeWorker];
    assert.equal((replacement.received[0] as { config: VersionedConfig }).config.version, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(replacement.applied(), [], 'it did not take part in the apply under way');
    release();
    await applying;
    assert.equal(pool.version, 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      replacement.applied().map((c) => c?.version),
      [2],
    );
    assert.deepEqual(
      pool.workers().map((w) => w.config_version),
      [2, 2],
    );
    await pool.stop('now', Date.now());
  });

  test('a worker that does not answer in time fails the apply and is killed', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet, { applyTimeoutMs: 20 });
    await pool.start();
    fleet.behaviour = (message, worker) =>
      message.type === 'apply' && worker.slot === 2 ? undefined : obliging(message, worker);
    await assert.rejects(pool.apply(config(1)), /worker 2: the worker did not answer within 20 ms/);
    assert.deepEqual(fleet.kills, [{ pid: fleet.workers[1]!.pid, signal: 'SIGKILL' }]);
    await pool.stop('now', Date.now());
  });

  test('a worker slower to start than the deadline delays the start, with a warning, and never fails it', async () => {
    const fleet = new FakeFleet();
    let late: FakeWorker | undefined;
    fleet.behaviour = (message, worker) => {
      if (message.type === 'start' && worker.slot === 2) {
        late = worker;
        return undefined;
      }
      return obliging(message, worker);
    };
    const { pool, lines } = poolOf(fleet, { startTimeoutMs: 10 });
    let started = false;
    const start = pool.start().then(() => {
      started = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(started, false);
    const warning = lines.find((l) => l.msg === 'the proxy workers have not started yet: still waiting');
    assert.deepEqual(warning?.workers, [2]);
    assert.equal(pool.notReadyReason(), 'worker 2 is not running');
    late?.reply({ type: 'ready', version: 0, ports: [8000] });
    await start;
    assert.equal(pool.notReadyReason(), undefined);
    assert.deepEqual(fleet.kills, []);
    await pool.stop('now', Date.now());
  });

  test('an answer that waited while the main loop was blocked past the deadline still counts', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet, { applyTimeoutMs: 20 });
    await pool.start();
    const applied = pool.apply(config(1));
    // The answers are on their way (setImmediate) when the loop blocks past the 20 ms deadline.
    const until = Date.now() + 50;
    while (Date.now() < until) {}
    await applied;
    assert.deepEqual(fleet.kills, []);
    await pool.stop('now', Date.now());
  });

  test('start fails with the message of a worker that could not start, and stops the others', async () => {
    const fleet = new FakeFleet();
    fleet.behaviour = (message, worker) =>
      message.type === 'start' && worker.slot === 2
        ? { type: 'start-failed', error: 'listen EADDRINUSE: address already in use 127.0.0.1:8000' }
        : obliging(message, worker);
    const { pool } = poolOf(fleet);
    await assert.rejects(pool.start(), (error: unknown) => {
      assert.ok(error instanceof WorkerError);
      assert.match(error.message, /worker 2 failed to start: listen EADDRINUSE/);
      return true;
    });
    assert.deepEqual(
      fleet.workers[0]?.received.map((m) => m.type),
      ['start', 'stop'],
    );
    assert.equal(fleet.workers.length, 2, 'nothing is restarted once stopping');
  });

  test('stop asks every worker to drain until the deadline, and waits for them to exit', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet);
    await pool.start();
    const deadline = Date.now() + 60_000;
    await pool.stop('drain', deadline);
    for (const worker of fleet.workers) {
      assert.deepEqual(worker.received.at(-1), { type: 'stop', mode: 'drain', deadline });
      assert.equal(worker.alive, false);
    }
    assert.equal(fleet.workers.length, 2, 'a stopped worker is not restarted');
  });

  test('stop kills a worker still alive after the deadline and its grace', async () => {
    const fleet = new FakeFleet();
    const { pool } = poolOf(fleet, { killGraceMs: 10 });
    await pool.start();
    fleet.workers[0]!.send = (message) => {
      fleet.workers[0]!.received.push(message);
    };
    await pool.stop('drain', Date.now() + 10);
    assert.deepEqual(fleet.kills, [{ pid: fleet.workers[0]!.pid, signal: 'SIGKILL' }]);
  });
});

describe('defaultRestartDelay', () => {
  test('restarts a first crash at once, then backs off doubling up to ten seconds', () => {
    assert.deepEqual([1, 2, 3, 4, 10, 30].map(defaultRestartDelay), [0, 100, 200, 400, 10_000, 10_000]);
  });
});

describe('workerCount', () => {
  test('auto is one worker per CPU, and a number is taken as it is', () => {
    assert.equal(workerCount('auto', 8), 8);
    assert.equal(workerCount('auto', 0), 1);
    assert.equal(workerCount(3, 8), 3);
  });
});
