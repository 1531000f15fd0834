import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Probe } from './active-checks.ts';
import type { Resolve } from './dns.ts';
import { BalancerRegistry } from './registry.ts';
import { serving, target, up } from './test-support.ts';
import type { UpstreamBalancer } from './upstream-balancer.ts';

/** Everything a request or a probe reads of a balancer, health counters included. */
function observed(balancer: UpstreamBalancer) {
  return {
    spec: balancer.spec,
    healthy: balancer.healthy,
    targets: [...balancer.targets()].map((t) => ({
      target: t.config.target,
      weight: t.weight,
      peers: t.peers.map((p) => p.key),
      dns: t.dns === undefined ? undefined : { running: t.dns.running, addresses: t.dns.addresses },
    })),
    peers: balancer.peers().map((p) => ({ key: p.key, weight: p.weight, state: { ...p.state } })),
  };
}

/** A resolver that answers one address per name and records every name it was asked. */
function recordingResolver(): { resolve: Resolve; asked: string[] } {
  const asked: string[] = [];
  const addresses: Record<string, string> = { 'a.internal': '10.0.1.1', 'b.internal': '10.0.2.1' };
  return {
    asked,
    resolve: async (name) => {
      asked.push(name);
      return [{ address: addresses[name] ?? '10.0.9.9', ttl: 60 }];
    },
  };
}

/** A probe held at its first call until released, so nothing moves while the test looks. */
function heldProbe() {
  const asked: string[] = [];
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached: (() => void) | undefined;
  const probe: Probe = async (peer) => {
    asked.push(peer.key);
    reached?.();
    await released;
    return 500;
  };
  return {
    probe,
    asked,
    release,
    /** Resolves once some probe was sent (now, or at the next call). */
    sent: () =>
      new Promise<void>((resolve) => {
        if (asked.length > 0) resolve();
        else reached = resolve;
      }),
  };
}

const CHECKS = {
  active: { healthy: { interval: 0.01 }, unhealthy: { interval: 0.01, http_failures: 2 } },
  passive: { unhealthy: { tcp_failures: 3, http_failures: 3 } },
};

describe('BalancerRegistry.plan', () => {
  it('changes nothing the running balancer serves with: targets, health, counters, probes, DNS', async () => {
    const dns = recordingResolver();
    const probing = heldProbe();
    const registry = new BalancerRegistry({ resolve: dns.resolve, probe: probing.probe });
    const update = serving(registry);
    const v1 = [target('10.0.0.1:80'), target('10.0.0.2:80'), target('a.internal:80')];
    const running = update([up({ healthchecks: CHECKS })], v1).get('u1')!;
    await registry.settled();
    running.reportFailure(running.peers()[0]!, 'tcp');
    running.reportStatus(running.peers()[1]!, 500);
    running.peers()[2]!.state.active = 4;
    await probing.sent();
    const before = observed(running);
    const peers = running.peers();

    // Another algorithm, other limits, a target gone, one added by name, one reweighted.
    const planned = registry
      .plan(
        [
          up({
            algorithm: 'least-connections',
            healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } },
          }),
        ],
        [target('10.0.0.1:80', 10), target('a.internal:80'), target('b.internal:80')],
      )
      .get('u1')!;

    assert.notEqual(planned, running);
    assert.deepEqual(observed(running), before);
    assert.equal(running.peers(), peers, 'the running peers were not rebuilt');
    assert.deepEqual(dns.asked, ['a.internal'], 'the planned name is not resolved');
    assert.equal(registry.size, 1);
    // The plan carries health by address, without starting anything of its own.
    assert.equal(planned.peers().find((p) => p.key === '10.0.0.1:80')?.state, peers[0]!.state);
    assert.deepEqual(
      [...planned.targets()].map((t) => [t.config.target, t.dns?.running]),
      [
        ['10.0.0.1:80', undefined],
        ['a.internal:80', true],
        ['b.internal:80', false],
      ],
    );
    // Probes still go to the running version's peers: 10.0.0.2 is in the next round, 10.0.2.1 is not.
    probing.asked.length = 0;
    probing.release();
    while (!probing.asked.includes('10.0.0.2:80')) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(!probing.asked.includes('10.0.2.1:80'));
    await registry.stop();
  });

  it('gives a version sent back after a refusal its balancer again, counters and DNS included', async () => {
    const dns = recordingResolver();
    const registry = new BalancerRegistry({ resolve: dns.resolve });
    const update = serving(registry);
    const upstream = up({ healthchecks: { passive: { unhealthy: { tcp_failures: 3 } } } });
    const v1 = [target('10.0.0.1:80'), target('a.internal:80')];
    const first = update([upstream], v1).get('u1')!;
    await registry.settled();
    const named = first.peers().find((p) => p.key === '10.0.1.1:80')!;
    first.reportFailure(named, 'tcp');
    first.reportFailure(named, 'tcp');
    const before = observed(first);

    // Accepted here, refused by another worker: the pool sends version 1 back, whole.
    const second = update([{ ...upstream, algorithm: 'latency' }], [target('10.0.0.1:80')]).get('u1')!;
    assert.equal(second.targets().next().value?.config.target, '10.0.0.1:80');
    assert.equal([...first.watches()][0]?.running, false, 'version 2 stopped the name it dropped');
    const back = update([structuredClone(upstream)], structuredClone(v1)).get('u1')!;

    assert.equal(back, first);
    assert.deepEqual(observed(back), before);
    assert.equal([...back.watches()][0]?.running, true);
    // The counter went on from 2: a third failure makes the target unhealthy.
    back.reportFailure(back.peers().find((p) => p.key === '10.0.1.1:80')!, 'tcp');
    assert.equal(named.state.healthy, false);
    assert.deepEqual(
      dns.asked,
      ['a.internal', 'a.internal'],
      'resolved again once restarted, not re-created',
    );
    await registry.stop();
  });
});
