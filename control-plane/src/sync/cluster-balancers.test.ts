import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControlPlaneMessage, HealthReport } from '@turnpike/proto';
import { createLogger } from '@turnpike/shared';
import { ClusterBalancers, type CommandTarget } from './cluster-balancers.ts';

const log = createLogger({ level: 'silent' });

function report(upstream: string, health: string): HealthReport {
  return {
    upstreams: [
      {
        upstreamId: upstream,
        balancer: Buffer.from(JSON.stringify({ id: upstream, health: 'HEALTHY' })),
        targets: [
          {
            targetId: 't1',
            target: '10.0.0.1:80',
            health,
            data: Buffer.from(JSON.stringify({ addresses: [{ ip: '10.0.0.1', port: 80, health }] })),
          },
        ],
      },
    ],
  };
}

/** A data plane that answers each SetTargetHealth with `answer`, or stays silent. */
function dataPlane(
  nodeId: string,
  answer: ((requestId: number) => { error: string; found: boolean }) | undefined,
  balancers: () => ClusterBalancers,
): CommandTarget & { sent: ControlPlaneMessage[]; serving: boolean } {
  const sent: ControlPlaneMessage[] = [];
  return {
    nodeId,
    hostname: `host-${nodeId}`,
    serving: true,
    sent,
    send(message) {
      sent.push(message);
      const kind = message.kind;
      if (kind?.$case !== 'setTargetHealth' || answer === undefined) return;
      const requestId = kind.value.requestId;
      queueMicrotask(() => balancers().answered(nodeId, { requestId, ...answer(requestId) }));
    },
  };
}

describe('ClusterBalancers', () => {
  it("answers health reads from each connected data plane's last report, naming the data plane", async () => {
    let cluster: ClusterBalancers;
    const a = dataPlane('a', undefined, () => cluster);
    const b = dataPlane('b', undefined, () => cluster);
    cluster = new ClusterBalancers(() => [a, b], log);
    cluster.reported('a', report('u1', 'HEALTHY'));
    cluster.reported('b', report('u1', 'UNHEALTHY'));
    const health = await cluster.call({ op: 'health', upstream: 'u1' });
    assert.deepEqual(
      health.replies.map((r) => (r as { health: string }[])[0]!.health),
      ['HEALTHY', 'UNHEALTHY'],
    );
    assert.deepEqual(health.sources, [
      { id: 'a', hostname: 'host-a' },
      { id: 'b', hostname: 'host-b' },
    ]);
    // A newer report replaces the older one; an unknown upstream has no reply.
    cluster.reported('b', report('u2', 'HEALTHY'));
    assert.equal((await cluster.call({ op: 'health', upstream: 'u1' })).replies.length, 1);
    assert.deepEqual((await cluster.call({ op: 'balancer-health', upstream: 'u2' })).replies, [
      { id: 'u2', health: 'HEALTHY' },
    ]);
    // A data plane that is not serving (refused, closed) or was forgotten does not count.
    b.serving = false;
    assert.equal((await cluster.call({ op: 'health', upstream: 'u2' })).replies.length, 0);
    b.serving = true;
    cluster.forget('b');
    assert.equal((await cluster.call({ op: 'health', upstream: 'u2' })).replies.length, 0);
  });

  it('sends a mark to every serving data plane and waits for each answer', async () => {
    let cluster: ClusterBalancers;
    const a = dataPlane(
      'a',
      () => ({ error: '', found: true }),
      () => cluster,
    );
    const b = dataPlane(
      'b',
      () => ({ error: '', found: false }),
      () => cluster,
    );
    cluster = new ClusterBalancers(() => [a, b], log);
    const op = { op: 'set-health', upstream: 'u1', host: '10.0.0.1', port: 80, healthy: false } as const;
    const answer = await cluster.call(op);
    assert.deepEqual(answer, { replies: [true], sources: [{ id: 'a', hostname: 'host-a' }] });
    const command = a.sent[0]?.kind;
    assert.equal(command?.$case, 'setTargetHealth');
    if (command?.$case === 'setTargetHealth') {
      assert.deepEqual(
        { ...command.value, requestId: 0 },
        {
          requestId: 0,
          upstreamId: 'u1',
          host: '10.0.0.1',
          port: 80,
          addressIp: '',
          addressPort: 0,
          healthy: false,
        },
      );
    }
    const withAddress = await cluster.call({ ...op, address: { ip: '10.0.0.1', port: 81 } });
    assert.equal(withAddress.replies.length, 1);
    const second = b.sent[1]?.kind;
    assert.ok(second?.$case === 'setTargetHealth' && second.value.addressPort === 81);
  });

  it("reports the first refusal in the balancer's words; a silent or vanished data plane is not waited for", async () => {
    let cluster: ClusterBalancers;
    const refusing = dataPlane(
      'r',
      () => ({ error: 'target not found', found: true }),
      () => cluster,
    );
    const silent = dataPlane('s', undefined, () => cluster);
    cluster = new ClusterBalancers(() => [refusing, silent], log, 50);
    const op = { op: 'set-health', upstream: 'u1', host: 'h', port: 1, healthy: true } as const;
    const started = performance.now();
    const answer = await cluster.call(op);
    assert.equal(answer.error, 'target not found');
    assert.ok(performance.now() - started < 1_000);
    // A data plane whose stream closes while the mark is out: its wait ends at once.
    const cluster2 = new ClusterBalancers(() => [silent2], log, 60_000);
    const silent2 = dataPlane('s2', undefined, () => cluster2);
    const pending = cluster2.call(op);
    cluster2.forget('s2');
    assert.deepEqual(await pending, { replies: [], sources: [] });
  });

  it('refuses a mark when no data plane is connected', async () => {
    const cluster = new ClusterBalancers(() => [], log);
    const answer = await cluster.call({ op: 'set-health', upstream: 'u', host: 'h', port: 1, healthy: true });
    assert.equal(answer.error, 'no data plane is connected to this control plane');
  });

  it('leaves out what does not parse, rather than failing the report', async () => {
    const a = dataPlane('a', undefined, () => cluster);
    const cluster = new ClusterBalancers(() => [a], log);
    const bad = report('u1', 'HEALTHY');
    bad.upstreams[0]!.targets[0]!.data = Buffer.from('{not json');
    cluster.reported('a', bad);
    const health = await cluster.call({ op: 'health', upstream: 'u1' });
    assert.equal((health.replies[0] as { data: unknown }[])[0]!.data, undefined);
  });
});
