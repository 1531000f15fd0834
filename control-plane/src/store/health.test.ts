import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@turnpike/shared';
import { HealthMonitor } from './health.ts';

const log = createLogger({ level: 'silent' });

/** A probe whose answer the test decides, counting calls. */
function fakeProbe() {
  const state = { up: true, calls: 0, hang: false };
  const probe = async () => {
    state.calls++;
    if (state.hang) await new Promise(() => undefined);
    if (!state.up) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  };
  return { state, probe };
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met');
    await sleep(5);
  }
}

test('a suspicion probes at once: a failed probe makes it unreachable, with the reason, and listeners hear it', async () => {
  const { state, probe } = fakeProbe();
  const monitor = new HealthMonitor({ probe, log, healthyIntervalMs: 60_000, unhealthyIntervalMs: 60_000 });
  const heard: boolean[] = [];
  monitor.onChange((reachable) => heard.push(reachable));
  monitor.start();
  state.up = false;
  monitor.suspect();
  await monitor.settled();
  assert.equal(monitor.reachable, false);
  assert.match(monitor.reason ?? '', /ECONNREFUSED/);
  assert.deepEqual(heard, [false]);
  monitor.stop();
});

test('while unreachable it probes on the fast interval and recovers by itself; while reachable it stays quiet', async () => {
  const { state, probe } = fakeProbe();
  const monitor = new HealthMonitor({ probe, log, healthyIntervalMs: 60_000, unhealthyIntervalMs: 10 });
  const heard: boolean[] = [];
  monitor.onChange((reachable) => heard.push(reachable));
  monitor.start();
  state.up = false;
  monitor.suspect();
  await until(() => state.calls >= 4);
  assert.equal(monitor.reachable, false);
  state.up = true;
  await until(() => monitor.reachable);
  assert.deepEqual(heard, [false, true]);
  assert.equal(monitor.reason, undefined);
  const calls = state.calls;
  await sleep(100);
  assert.equal(state.calls, calls, 'no probe on the healthy interval of a minute');
  monitor.stop();
});

test('a probe that never answers counts as failed after the timeout', async () => {
  const { state, probe } = fakeProbe();
  const monitor = new HealthMonitor({ probe, log, healthyIntervalMs: 60_000, timeoutMs: 50 });
  monitor.start();
  state.hang = true;
  monitor.suspect();
  await monitor.settled();
  assert.equal(monitor.reachable, false);
  assert.match(monitor.reason ?? '', /no answer within 50 ms/);
  monitor.stop();
});

test('suspicions during a probe coalesce into one more probe', async () => {
  const { state, probe } = fakeProbe();
  const monitor = new HealthMonitor({ probe, log, healthyIntervalMs: 60_000 });
  monitor.start();
  for (let i = 0; i < 50; i++) monitor.suspect();
  await until(() => state.calls >= 2);
  await monitor.settled();
  await sleep(20);
  assert.equal(state.calls, 2);
  assert.equal(monitor.reachable, true);
  monitor.stop();
});
