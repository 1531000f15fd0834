import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControlPlaneMessage, DataPlaneMessage } from '@turnpike/proto';
import { createLogger } from '@turnpike/shared';
import { configFromEntities } from '@turnpike/shared/sync';
import { MemoryConfigSource, SnapshotEncodingCache } from '../snapshot/index.ts';
import { ClusterBalancers } from './cluster-balancers.ts';
import { NO_METRICS, type RefusalReason } from './metrics.ts';
import { MemoryDataPlaneRegistry } from './registry.ts';
import { DataPlaneSession, type SessionContext } from './session.ts';

const NODE = '00000000-0000-4000-8000-000000000007';

/** A session over a recording stream, a memory registry, recorded metrics and captured logs. */
function harness(options: { ackTimeoutMs?: number } = {}) {
  const source = new MemoryConfigSource({
    config: configFromEntities({ plugins: [{ id: 'p1', name: 'key-auth' }] }),
  });
  const registry = new MemoryDataPlaneRegistry();
  const refusals: RefusalReason[] = [];
  let ackTimeouts = 0;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const snapshots = new SnapshotEncodingCache(source);
  const ctx: SessionContext = {
    source,
    registry,
    log,
    metrics: {
      ...NO_METRICS,
      refused: (reason) => refusals.push(reason),
      ackTimedOut: () => {
        ackTimeouts += 1;
      },
    },
    turnpikeVersion: '1.2.0',
    maxPayload: 16 * 1024 * 1024,
    ackTimeoutMs: options.ackTimeoutMs ?? 60_000,
    encodedSnapshot: () => snapshots.latest(),
    identified: () => {},
    balancers: new ClusterBalancers(() => [], log),
  };
  const open = () => {
    const sent: ControlPlaneMessage[] = [];
    const closes: { code: number | undefined; details: string | undefined }[] = [];
    const session = new DataPlaneSession(ctx, {
      send: (message) => sent.push(message),
      close: (code, details) => closes.push({ code, details }),
      peerIp: '10.1.2.3',
      certDetails: undefined,
    });
    return { session, sent, closes };
  };
  return { source, registry, refusals, ackTimeouts: () => ackTimeouts, lines, open };
}

function helloFrom(version = '1.1.0', plugins = ['key-auth']): DataPlaneMessage {
  return {
    kind: {
      $case: 'hello',
      value: {
        nodeId: NODE,
        hostname: 'dp-7.test',
        turnpikeVersion: version,
        plugins: plugins.map((name) => ({ name, version: '1.0.0' })),
        configVersion: 0,
        configHash: '',
        labels: [],
      },
    },
  };
}

/** Resolves once the session sent its first config (the push is asynchronous). */
async function firstPush(sent: ControlPlaneMessage[]): Promise<{ version: number; hash: string }> {
  while (sent.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const kind = sent[0]?.kind;
  assert.equal(kind?.$case, 'snapshot');
  return { version: kind.value.version, hash: kind.value.hash };
}

describe('DataPlaneSession (control plane)', () => {
  it('shows a Nack’s error and code in the registry, config_rejected', async () => {
    const h = harness();
    const { session, sent } = h.open();
    session.receive(helloFrom());
    const pushed = await firstPush(sent);
    session.receive({
      kind: {
        $case: 'nack',
        value: {
          version: pushed.version,
          error: 'worker 0: bad route',
          details: ['r1: path'],
          code: 'TP_WORKER',
        },
      },
    });
    const record = h.registry.get(NODE);
    assert.equal(record?.sync_status, 'config_rejected');
    assert.equal(record?.last_error, 'worker 0: bad route\nr1: path');
    assert.equal(record?.last_error_code, 'TP_WORKER');
    assert.equal(h.registry.list()[0]?.last_error_code, 'TP_WORKER');
  });

  it('gives a Nack without a code (an older data plane) the generic code', async () => {
    const h = harness();
    const { session, sent } = h.open();
    session.receive(helloFrom());
    const pushed = await firstPush(sent);
    session.receive({
      kind: { $case: 'nack', value: { version: pushed.version, error: 'no', details: [], code: '' } },
    });
    assert.equal(h.registry.get(NODE)?.last_error_code, 'TP_CONFIG_REJECTED');
  });

  it('gives up a version unanswered past the Ack timeout: logged, counted, shown, stream closed', async () => {
    const h = harness({ ackTimeoutMs: 1_000 });
    const first = h.open();
    first.session.receive(helloFrom());
    await firstPush(first.sent);
    const sentAt = performance.now();
    assert.equal(first.session.expireOverdue(sentAt + 500), false, 'still within the timeout');
    assert.equal(first.session.expireOverdue(sentAt + 1_500), true);
    assert.deepEqual(
      first.closes.map((c) => c.code),
      [4],
    );
    assert.match(first.closes[0]?.details ?? '', /no Ack or Nack for snapshot version 1 within 1000 ms/);
    assert.equal(h.ackTimeouts(), 1);
    const line = h.lines.find((l) => l.msg === 'data plane did not answer a configuration in time');
    assert.equal(line?.node_id, NODE);
    assert.equal(line?.version, 1);
    const gone = h.registry.get(NODE);
    assert.equal(gone?.sync_status, 'offline');
    assert.equal(gone?.last_error_code, 'TP_SYNC_ACK_TIMEOUT');
    assert.equal(first.session.expireOverdue(sentAt + 5_000), false, 'once only');

    // The data plane reconnects: the error stays shown until it is back in sync.
    const second = h.open();
    second.session.receive(helloFrom());
    assert.equal(h.registry.get(NODE)?.last_error_code, 'TP_SYNC_ACK_TIMEOUT');
    const pushed = await firstPush(second.sent);
    second.session.receive({ kind: { $case: 'ack', value: { ...pushed, applyMs: 3 } } });
    const back = h.registry.get(NODE);
    assert.equal(back?.sync_status, 'normal');
    assert.equal(back?.last_error, '');
    assert.equal(back?.last_error_code, '');
  });

  it('logs and counts every refusal with its reason, node id and address', async () => {
    const h = harness();
    const incompatible = h.open();
    incompatible.session.receive(helloFrom('2.0.0'));
    const rude = h.open();
    rude.session.receive({
      kind: { $case: 'heartbeat', value: { configVersion: 0, configHash: '', sentAtMs: 0 } },
    });
    assert.deepEqual(h.refusals, ['turnpike_version_incompatible', 'protocol']);
    const refused = h.lines.filter((l) => l.msg === 'data plane refused');
    assert.deepEqual(
      refused.map((l) => [l.reason, l.node_id, l.ip]),
      [
        ['turnpike_version_incompatible', NODE, '10.1.2.3'],
        ['protocol', undefined, '10.1.2.3'],
      ],
    );
    assert.deepEqual(rude.closes, [{ code: 3, details: 'the first message of a sync stream must be Hello' }]);
  });

  it('keeps sending a data plane lacking a plugin every version; it shows plugin_set_incompatible until it runs one', async () => {
    const h = harness();
    const lacking = h.open();
    lacking.session.receive(helloFrom('1.1.0', ['acl']));
    const record = h.registry.get(NODE);
    assert.equal(record?.sync_status, 'plugin_set_incompatible');
    assert.equal(record?.last_error_code, 'TP_PLUGIN_SET_INCOMPATIBLE');
    assert.match(record?.last_error ?? '', /plugin key-auth, not installed on the data plane/);
    assert.deepEqual(lacking.closes, [], 'not refused');
    assert.deepEqual(h.refusals, []);
    assert.equal(
      h.lines.filter((l) => l.msg === 'data plane lacks plugins the configuration uses').length,
      1,
    );

    // The version is sent; the data plane refuses it with the plugin set's code.
    const pushed = await firstPush(lacking.sent);
    lacking.session.receive({
      kind: {
        $case: 'nack',
        value: {
          version: pushed.version,
          error: 'key-auth plugin is in use but not enabled',
          details: [],
          code: 'TP_PLUGIN_SET_INCOMPATIBLE',
        },
      },
    });
    assert.equal(h.registry.get(NODE)?.sync_status, 'plugin_set_incompatible');

    // The plugin leaves the configuration: the next version is sent, applied, and all is normal.
    h.source.apply([{ entity: 'plugins', id: 'p1', op: 'delete' }]);
    void lacking.session.pump();
    while (lacking.sent.length < 2) await new Promise((resolve) => setImmediate(resolve));
    const next = lacking.sent.at(-1)?.kind;
    assert.ok(next?.$case === 'snapshot' || next?.$case === 'delta');
    lacking.session.receive({
      kind: { $case: 'ack', value: { version: next.value.version, hash: next.value.hash, applyMs: 1 } },
    });
    const back = h.registry.get(NODE);
    assert.equal(back?.sync_status, 'normal');
    assert.equal(back?.last_error, '');
  });
});
