import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resolve } from './dns.ts';
import { balancerHealth } from './health-report.ts';
import { BalancerRegistry } from './registry.ts';
import { recordingProbe, serving, target, up } from './test-support.ts';

const PASSIVE = { passive: { unhealthy: { tcp_failures: 1 } } };

describe('BalancerRegistry', () => {
  it('keeps a peer marked unhealthy across config versions', () => {
    const registry = new BalancerRegistry();
    const update = serving(registry);
    const first = update([up({ healthchecks: PASSIVE })], [target('10.0.0.1:80'), target('10.0.0.2:80')]);
    const balancer = first.get('u1')!;
    balancer.reportFailure(balancer.peers()[0]!, 'tcp');
    assert.equal(balancer.peers()[0]!.state.healthy, false);
    const second = update(
      [up({ healthchecks: PASSIVE, algorithm: 'least-connections' })],
      [target('10.0.0.1:80'), target('10.0.0.2:80'), target('10.0.0.3:80')],
    );
    const again = second.get('u1')!;
    // A changed upstream gets a new balancer; its peers keep their health by address.
    assert.notEqual(again, balancer);
    assert.equal(again.peers()[0]!.state, balancer.peers()[0]!.state);
    assert.deepEqual(
      again.peers().map((p) => [p.key, p.state.healthy]),
      [
        ['10.0.0.1:80', false],
        ['10.0.0.2:80', true],
        ['10.0.0.3:80', true],
      ],
    );
  });

  it('keeps probing across versions (new targets included) and stops when the upstream leaves the config', async () => {
    const { probe, asked, nextProbe } = recordingProbe(() => 200);
    const registry = new BalancerRegistry({ probe });
    const update = serving(registry);
    const active = { active: { healthy: { interval: 0.01, successes: 1 } } };
    const first = update([up({ healthchecks: active })], [target('10.0.0.1:80')]);
    await nextProbe();
    update([up({ healthchecks: active })], [target('10.0.0.1:80'), target('10.0.0.2:80')]);
    assert.equal(registry.size, 1);
    while (!asked.includes('10.0.0.2:80')) await nextProbe();
    update([], []);
    assert.equal(registry.size, 0);
    const count = asked.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(asked.length, count, 'no probe after the upstream was removed');
    assert.ok(first.get('u1'));
    await registry.stop();
  });

  it('balances over every address a target name resolves to, each with the target weight', async () => {
    const resolve: Resolve = async () => [
      { address: '10.0.0.8', ttl: 60 },
      { address: '10.0.0.9', ttl: 60 },
    ];
    const registry = new BalancerRegistry({ resolve });
    const update = serving(registry);
    const balancers = update([up()], [target('api.internal:8080', 25)]);
    await registry.settled();
    const peers = balancers.get('u1')!.peers();
    assert.deepEqual(
      peers.map((p) => [p.key, p.weight, p.hostname]),
      [
        ['10.0.0.8:8080', 25, 'api.internal'],
        ['10.0.0.9:8080', 25, 'api.internal'],
      ],
    );
    assert.equal(balancers.get('u1')!.hostFor(peers[0]!), 'api.internal:8080');
    await registry.stop();
  });

  it('keeps the last answer when a refresh fails, within the stale TTL', async () => {
    let fail = false;
    let calls = 0;
    let refreshed: (() => void) | undefined;
    const resolve: Resolve = async () => {
      calls++;
      refreshed?.();
      if (fail) throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' });
      return [{ address: '10.0.0.8', ttl: 0 }];
    };
    const registry = new BalancerRegistry({ resolve, dns: { minTtl: 0.01, errorTtl: 0.01, staleTtl: 60 } });
    const update = serving(registry);
    const balancer = update([up()], [target('api.internal:80')]).get('u1')!;
    await registry.settled();
    fail = true;
    const before = calls;
    while (calls < before + 2) await new Promise<void>((r) => (refreshed = r));
    assert.deepEqual(
      balancer.peers().map((p) => p.key),
      ['10.0.0.8:80'],
    );
    const report = balancerHealth({ upstreams: new Map([['u1', balancer]]) }, 'u1')!;
    assert.equal(report.data[0]!.health, 'HEALTHCHECKS_OFF');
    assert.match(report.data[0]!.data.dns, /ECONNREFUSED/);
    await registry.stop();
  });

  it("reports health in the shape of Kong's /upstreams/{u}/health", () => {
    const registry = new BalancerRegistry({ resolve: async () => [] });
    const update = serving(registry);
    const balancers = update(
      [up({ healthchecks: PASSIVE })],
      [
        target('10.0.0.1:80', 100, 't1'),
        target('10.0.0.2:80', 50, 't2'),
        target('nowhere.test:80', 10, 't3'),
      ],
    );
    const balancer = balancers.get('u1')!;
    balancer.reportFailure(balancer.peers()[1]!, 'tcp');
    const report = balancerHealth({ upstreams: balancers }, 'u1', 'node-1')!;
    assert.equal(report.total, 3);
    assert.equal(report.node_id, 'node-1');
    const byId = new Map(report.data.map((t) => [t.id, t]));
    assert.equal(byId.get('t1')!.health, 'HEALTHY');
    assert.equal(byId.get('t2')!.health, 'UNHEALTHY');
    assert.equal(byId.get('t3')!.health, 'DNS_ERROR');
    assert.deepEqual(byId.get('t2')!.data.addresses, [
      { ip: '10.0.0.2', port: 80, weight: 50, health: 'UNHEALTHY' },
    ]);
    assert.deepEqual(byId.get('t2')!.upstream, { id: 'u1' });
    assert.equal(balancerHealth({ upstreams: balancers }, 'other'), undefined);
    void registry.stop();
  });
});
