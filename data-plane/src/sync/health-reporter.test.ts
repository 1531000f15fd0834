import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataPlaneMessage } from '@turnpike/proto';
import { createLogger, type UpstreamHealthReport } from '@turnpike/shared';
import { HealthReporter } from './health-reporter.ts';

const log = createLogger({ level: 'silent' });

function state(health: string): UpstreamHealthReport[] {
  return [
    {
      upstream: 'u1',
      balancer: { id: 'u1', health: 'HEALTHY' },
      targets: [{ id: 't1', target: '10.0.0.1:80', health, data: { addresses: [] } }],
    },
  ];
}

function harness(minIntervalMs = 40) {
  let current = state('HEALTHY');
  let connected = true;
  let collects = 0;
  const sent: DataPlaneMessage[] = [];
  const reporter = new HealthReporter({
    collect: async () => {
      collects += 1;
      return current;
    },
    send: (message) => {
      if (!connected) return false;
      sent.push(message);
      return true;
    },
    log,
    minIntervalMs,
  });
  return {
    reporter,
    sent,
    set: (health: string) => {
      current = state(health);
    },
    connect: (up: boolean) => {
      connected = up;
    },
    collects: () => collects,
  };
}

function healthOf(message: DataPlaneMessage | undefined): string | undefined {
  const kind = message?.kind;
  return kind?.$case === 'healthReport' ? kind.value.upstreams[0]?.targets[0]?.health : undefined;
}

describe('HealthReporter', () => {
  it('sends the whole state on a new stream, then only what differs', async () => {
    const h = harness();
    h.reporter.streamOpened();
    await sleep(20);
    assert.equal(h.sent.length, 1);
    assert.equal(healthOf(h.sent[0]), 'HEALTHY');
    const kind = h.sent[0]!.kind;
    assert.ok(kind?.$case === 'healthReport');
    assert.deepEqual(JSON.parse(kind.value.upstreams[0]!.targets[0]!.data.toString()), { addresses: [] });
    h.reporter.changed();
    await sleep(80);
    assert.equal(h.sent.length, 1, 'nothing changed: nothing sent');
    h.set('UNHEALTHY');
    h.reporter.changed();
    await sleep(80);
    assert.equal(h.sent.length, 2);
    assert.equal(healthOf(h.sent[1]), 'UNHEALTHY');
    // A new stream: the control plane forgot the report, so it is sent again.
    h.reporter.streamOpened();
    await sleep(80);
    assert.equal(h.sent.length, 3);
    h.reporter.stop();
  });

  it('coalesces a burst of changes into one report within the interval', async () => {
    const h = harness(100);
    h.reporter.streamOpened();
    await sleep(20);
    const before = h.collects();
    for (let i = 0; i < 20; i++) {
      h.set(i % 2 === 0 ? 'UNHEALTHY' : 'HEALTHY');
      h.reporter.changed();
    }
    h.set('UNHEALTHY');
    await sleep(200);
    assert.equal(h.collects() - before, 1);
    assert.equal(healthOf(h.sent.at(-1)), 'UNHEALTHY');
    h.reporter.stop();
  });

  it('flush reports at once, bypassing the interval; a report not sent (no stream) is retried on the next stream', async () => {
    const h = harness(10_000);
    h.reporter.streamOpened();
    await sleep(20);
    h.set('UNHEALTHY');
    await h.reporter.flush();
    assert.equal(healthOf(h.sent.at(-1)), 'UNHEALTHY');
    h.connect(false);
    h.set('HEALTHY');
    await h.reporter.flush();
    assert.equal(h.sent.length, 2);
    h.connect(true);
    h.reporter.streamOpened();
    await sleep(20);
    assert.equal(h.sent.length, 3);
    assert.equal(healthOf(h.sent.at(-1)), 'HEALTHY');
    h.reporter.stop();
    h.reporter.changed();
    await sleep(20);
    assert.equal(h.sent.length, 3, 'nothing after stop');
  });
});
