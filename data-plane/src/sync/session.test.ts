import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataPlaneMessage } from '@turnpike/proto';
import { WorkerError } from '@turnpike/shared';
import { hashConfig, type VersionedConfig } from '@turnpike/shared/sync';
import { type SessionStep, SyncSession } from './session.ts';
import { asMessage, config, deltaOf, memoryStore, route, snapshotOf } from './test-fixtures.ts';

const identity = {
  nodeId: '00000000-0000-4000-8000-000000000001',
  hostname: 'dp-1.test',
  turnpikeVersion: '1.2.0',
  plugins: [{ name: 'key-auth', version: '1.0.0' }],
  labels: ['region:eu'],
};

function held(version: number, routes = 2): VersionedConfig {
  const content = config(routes);
  return { version, hash: hashConfig(content), config: content };
}

function hello(message: DataPlaneMessage) {
  assert.equal(message.kind?.$case, 'hello');
  return message.kind.value;
}

function applyStep(step: SessionStep): Extract<SessionStep, { type: 'apply' }> {
  assert.equal(step.type, 'apply', JSON.stringify(step));
  return step;
}

function nackStep(step: SessionStep): Extract<SessionStep, { type: 'nack' }> {
  assert.equal(step.type, 'nack', JSON.stringify(step));
  return step;
}

describe('SyncSession (data plane)', () => {
  it('says Hello with who it is and version 0 when it holds nothing', () => {
    const { store } = memoryStore();
    const message = hello(new SyncSession(identity, store).hello());
    assert.deepEqual(message, {
      nodeId: identity.nodeId,
      hostname: 'dp-1.test',
      turnpikeVersion: '1.2.0',
      plugins: [{ name: 'key-auth', version: '1.0.0' }],
      configVersion: 0,
      configHash: '',
      labels: ['region:eu'],
    });
  });

  it('says Hello and heartbeats with the version and hash it holds', () => {
    const { store } = memoryStore();
    const v3 = held(3);
    store.commit(v3);
    const session = new SyncSession(identity, store);
    const again = hello(session.hello());
    assert.deepEqual([again.configVersion, again.configHash], [3, v3.hash]);
    assert.deepEqual(session.heartbeat(1_700_000_000_000), {
      kind: {
        $case: 'heartbeat',
        value: { configVersion: 3, configHash: v3.hash, sentAtMs: 1_700_000_000_000 },
      },
    });
  });

  it('turns a verified snapshot into a config to apply, then Acks it with the time it took', async () => {
    const { store } = memoryStore();
    const session = new SyncSession(identity, store);
    const content = config(3);
    const step = applyStep(session.receive(asMessage.snapshot(await snapshotOf(5, content)), 100));
    assert.equal(step.kind, 'snapshot');
    assert.equal(step.next.version, 5);
    assert.equal(step.next.hash, hashConfig(content));
    assert.equal(step.next.config.get('routes')?.size, 3);
    assert.equal(step.delta, undefined);
    assert.equal(store.held, undefined, 'nothing is held until the apply step commits');
    assert.deepEqual(session.acknowledge(step, 112.4), {
      kind: { $case: 'ack', value: { version: 5, hash: hashConfig(content), applyMs: 12 } },
    });
  });

  it('Nacks a snapshot that does not hash to what it says, with the code TP_SYNC_HASH_MISMATCH', async () => {
    const { store } = memoryStore();
    const session = new SyncSession(identity, store);
    const step = nackStep(session.receive(asMessage.snapshot(await snapshotOf(5, config(3), 'f00d')), 0));
    assert.equal(step.resync, false);
    assert.equal(step.error.code, 'TP_SYNC_HASH_MISMATCH');
    assert.match(step.error.text, /^snapshot 5 hashes to [0-9a-f]+, not f00d$/);
    assert.deepEqual(step.message, {
      kind: {
        $case: 'nack',
        value: { version: 5, error: step.error.text, details: [], code: 'TP_SYNC_HASH_MISMATCH' },
      },
    });
  });

  it('Nacks an undecodable snapshot with the code TP_SYNC_PAYLOAD', async () => {
    const { store } = memoryStore();
    const snapshot = {
      ...(await snapshotOf(2, config(1))),
      payload: Buffer.from('not json'),
      uncompressedSize: 8,
    };
    const step = nackStep(new SyncSession(identity, store).receive(asMessage.snapshot(snapshot), 0));
    assert.equal(step.error.code, 'TP_SYNC_PAYLOAD');
    assert.match(step.error.text, /not JSON/);
  });

  it('applies a delta onto what it holds, passing on the changes', () => {
    const { store } = memoryStore();
    const v1 = held(1);
    store.commit(v1);
    const session = new SyncSession(identity, store);
    const step = applyStep(session.receive(asMessage.delta(deltaOf(v1, [route('new')])), 0));
    assert.equal(step.kind, 'delta');
    assert.equal(step.next.version, 2);
    assert.deepEqual(step.next.config.get('routes')?.get('new'), { id: 'new', paths: ['/new'] });
    assert.deepEqual(step.delta, { fromVersion: 1, changes: [route('new')] });
    assert.equal(v1.config.get('routes')?.has('new'), false, 'what is held stays intact');
  });

  it('Nacks a delta from a version it does not hold, and asks for a snapshot in the next Hello only', () => {
    const { store } = memoryStore();
    store.commit(held(4));
    const session = new SyncSession(identity, store);
    const step = nackStep(session.receive(asMessage.delta(deltaOf(held(3), [route('x')])), 0));
    assert.equal(step.resync, true);
    assert.equal(step.error.code, 'TP_SYNC_DELTA_BASE');
    assert.equal(step.error.text, 'delta from version 3, but this data plane holds 4');
    const asking = hello(session.hello());
    assert.deepEqual([asking.configVersion, asking.configHash], [0, '']);
    assert.equal(hello(session.hello()).configVersion, 4, 'one snapshot asked for, not every time');
  });

  it('Nacks a delta whose result does not hash to what it says, and resynchronises', () => {
    const { store } = memoryStore();
    const v1 = held(1);
    store.commit(v1);
    const step = nackStep(
      new SyncSession(identity, store).receive(asMessage.delta(deltaOf(v1, [route('x')], 'bad')), 0),
    );
    assert.equal(step.error.code, 'TP_SYNC_HASH_MISMATCH');
    assert.equal(step.resync, true);
    assert.match(step.error.text, /^delta to version 2 hashes to [0-9a-f]+, not bad$/);
  });

  it('Nacks a delta whose change is not JSON, with the code TP_SYNC_PAYLOAD', () => {
    const { store } = memoryStore();
    const v1 = held(1);
    store.commit(v1);
    const delta = deltaOf(v1, [route('x')]);
    const broken = {
      ...delta,
      changes: [{ entity: 'routes', id: 'x', op: 1 as const, value: Buffer.from('{') }],
    };
    const step = nackStep(new SyncSession(identity, store).receive(asMessage.delta(broken), 0));
    assert.equal(step.error.code, 'TP_SYNC_PAYLOAD');
  });

  it('Nacks a config the apply step refused with that error’s code, or TP_CONFIG_REJECTED', async () => {
    const { store } = memoryStore();
    const session = new SyncSession(identity, store);
    const step = applyStep(session.receive(asMessage.snapshot(await snapshotOf(7, config(1))), 0));
    const byWorker = session.reject(step, new WorkerError('worker 0: route r0: invalid path'));
    assert.deepEqual(byWorker.message, {
      kind: {
        $case: 'nack',
        value: { version: 7, error: 'worker 0: route r0: invalid path', details: [], code: 'TP_WORKER' },
      },
    });
    const plain = session.reject(step, new Error('route bad: invalid path "(("'));
    assert.deepEqual(plain.error, { code: 'TP_CONFIG_REJECTED', text: 'route bad: invalid path "(("' });
  });

  it('reports a Refusal, and ignores heartbeats and kinds it does not know', () => {
    const { store } = memoryStore();
    const session = new SyncSession(identity, store);
    assert.deepEqual(
      session.receive(
        { kind: { $case: 'refusal', value: { syncStatus: 'plugin_set_incompatible', message: 'no acl' } } },
        0,
      ),
      { type: 'refused', syncStatus: 'plugin_set_incompatible', message: 'no acl' },
    );
    assert.deepEqual(
      session.receive({ kind: { $case: 'heartbeat', value: { sentAtMs: 1, latestVersion: 9 } } }, 0),
      { type: 'none' },
    );
    assert.deepEqual(session.receive({}, 0), { type: 'none' });
  });
});
