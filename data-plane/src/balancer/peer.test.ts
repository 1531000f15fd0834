import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerState } from './peer.ts';
import { statusTable } from './spec.ts';

const limits = (successes: number, http: number, tcp: number, timeouts: number) => ({
  successes,
  httpFailures: http,
  tcpFailures: tcp,
  timeouts,
  statuses: statusTable([200], [500, 503]),
});

describe('peer health counters', () => {
  it('turn unhealthy after the configured number of failures of one kind', () => {
    const s = new PeerState();
    const l = limits(2, 0, 2, 0);
    assert.equal(s.failure('tcp', l), false);
    assert.equal(s.failure('tcp', l), true);
    assert.equal(s.healthy, false);
  });

  it('ignore a counter whose limit is 0', () => {
    const s = new PeerState();
    for (let i = 0; i < 10; i++) s.failure('timeout', limits(1, 1, 1, 0));
    assert.equal(s.healthy, true);
  });

  it('reset failures on a success, so only consecutive failures count', () => {
    const s = new PeerState();
    const l = limits(1, 2, 0, 0);
    s.status(500, l);
    s.status(200, l);
    s.status(503, l);
    assert.equal(s.healthy, true, 'the success in between cleared the first failure');
    s.status(503, l);
    assert.equal(s.healthy, false);
  });

  it('come back healthy after the configured number of successes, counting statuses', () => {
    const s = new PeerState();
    const l = limits(2, 1, 0, 0);
    s.status(500, l);
    assert.equal(s.healthy, false);
    assert.equal(s.status(200, l), false);
    assert.equal(s.status(404, l), false, 'a status in neither list is neutral');
    assert.equal(s.status(200, l), true);
    assert.equal(s.healthy, true);
    assert.equal(s.successes, 0);
  });

  it('never come back when successes is 0 (only active checks or a reset can heal)', () => {
    const s = new PeerState();
    s.failure('http', limits(0, 1, 0, 0));
    s.status(200, limits(0, 1, 0, 0));
    assert.equal(s.healthy, false);
  });
});
