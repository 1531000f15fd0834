import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeastConnections, LeastLatency, RoundRobin } from './algorithms.ts';
import { peer, tally } from './test-support.ts';

describe('round-robin', () => {
  it('shares 6,000 picks 1:2:3 by weight, within 1%', () => {
    const peers = [peer('10.0.0.1', 1), peer('10.0.0.2', 2), peer('10.0.0.3', 3)];
    const rr = new RoundRobin(peers.length);
    const counts = tally(Array.from({ length: 6000 }, () => rr.pick(peers, undefined)));
    for (const [ip, share] of [
      ['10.0.0.1', 1000],
      ['10.0.0.2', 2000],
      ['10.0.0.3', 3000],
    ] as const) {
      assert.ok(Math.abs(counts.get(ip)! - share) <= 60, `${ip}: ${counts.get(ip)}`);
    }
  });

  it('interleaves a heavy peer with the others instead of sending it a burst', () => {
    const peers = [peer('a', 1), peer('b', 1), peer('c', 4)];
    const rr = new RoundRobin(peers.length);
    const order = Array.from({ length: 6 }, () => rr.pick(peers, undefined)!.ip).join('');
    assert.doesNotMatch(order, /cccc/);
    assert.equal(order.replace(/[ab]/g, '').length, 4);
  });

  it('gives no traffic to a weight 0 peer nor to an unhealthy one', () => {
    const peers = [peer('zero', 0), peer('sick'), peer('ok')];
    peers[1]!.state.healthy = false;
    const rr = new RoundRobin(peers.length);
    const counts = tally(Array.from({ length: 30 }, () => rr.pick(peers, undefined)));
    assert.deepEqual([...counts], [['ok', 30]]);
  });

  it('moves a retry away from the failed peer, and returns nothing when nothing is available', () => {
    const peers = [peer('a'), peer('b')];
    const rr = new RoundRobin(peers.length);
    assert.equal(rr.pick(peers, peers[0])!.ip, 'b');
    assert.equal(rr.pick(peers, peers[0])!.ip, 'b');
    peers[1]!.state.healthy = false;
    assert.equal(rr.pick(peers, peers[0])!.ip, 'a', 'the failed peer is still better than none');
    peers[0]!.state.healthy = false;
    assert.equal(rr.pick(peers, undefined), undefined);
  });
});

describe('least-connections', () => {
  it('prefers the idle peer', () => {
    const peers = [peer('busy'), peer('idle'), peer('busier')];
    peers[0]!.state.active = 3;
    peers[2]!.state.active = 5;
    const lc = new LeastConnections();
    assert.equal(lc.pick(peers, undefined)!.ip, 'idle');
  });

  it('weighs connections by weight and takes turns among equals', () => {
    const peers = [peer('small', 1), peer('big', 3)];
    peers[0]!.state.active = 1; // (1+1)/1 = 2
    peers[1]!.state.active = 4; // (4+1)/3 ≈ 1.67
    const lc = new LeastConnections();
    assert.equal(lc.pick(peers, undefined)!.ip, 'big');
    const equal = [peer('a'), peer('b'), peer('c')];
    const turns = Array.from({ length: 3 }, () => lc.pick(equal, undefined)!.ip).sort();
    assert.deepEqual(turns, ['a', 'b', 'c']);
  });
});

describe('latency', () => {
  it('tries an unmeasured peer first, then prefers the fastest', () => {
    const peers = [peer('slow'), peer('fast'), peer('new')];
    peers[0]!.state.observe(200, 1);
    peers[1]!.state.observe(20, 1);
    const lat = new LeastLatency();
    assert.equal(lat.pick(peers, undefined)!.ip, 'new');
    peers[2]!.state.observe(100, 1);
    assert.equal(lat.pick(peers, undefined)!.ip, 'fast');
  });

  it('decays old response times toward recent ones', () => {
    const p = peer('x');
    p.state.observe(1000, 1);
    p.state.observe(10, 1 + 60_000);
    assert.ok(p.state.ewma < 20, String(p.state.ewma));
  });
});
