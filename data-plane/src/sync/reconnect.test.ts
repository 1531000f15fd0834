import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ReconnectTimer } from './reconnect.ts';

const backoff = { initialMs: 500, maxMs: 30_000 };
const half = () => 0.5;

/** Moves the mocked clock forward in small steps, letting each probe's promise settle. */
async function advance(ms: number, step = 10): Promise<void> {
  for (let passed = 0; passed < ms; passed += step) {
    mock.timers.tick(Math.min(step, ms - passed));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A probe answering from a script (the last answer repeats), counting its calls. */
function scripted(...answers: boolean[]) {
  let calls = 0;
  const probe = async () => answers[Math.min(calls++, answers.length - 1)] ?? false;
  return { probe, calls: () => calls };
}

describe('ReconnectTimer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('waits the jittered backoff while the address answers all along', async () => {
    const { probe, calls } = scripted(true);
    const timer = new ReconnectTimer({ backoff, probe, random: half });
    let connected = 0;
    const delay = timer.schedule(4, false, () => connected++);
    assert.equal(delay, 4000, 'half of min(30 s, 500 ms · 2⁴)');
    await advance(3990);
    assert.equal(connected, 0, 'an address that never went away cuts nothing short');
    await advance(20);
    assert.equal(connected, 1);
    assert.ok(calls() > 1, 'it was probed meanwhile');
  });

  it('connects a moment after the address comes back, long before the backoff ends', async () => {
    const { probe } = scripted(false, false, true);
    const timer = new ReconnectTimer({ backoff, probe, random: half });
    let connectedAt: number | undefined;
    let now = 0;
    const delay = timer.schedule(8, false, () => {
      connectedAt = now;
    });
    assert.equal(delay, 30_000 / 2);
    for (; now < 2_000 && connectedAt === undefined; now += 10) await advance(10);
    // Probes at 0 (refused), 400 (refused), 800 (answered), then the comeback jitter: 125 ms.
    assert.ok(connectedAt !== undefined && connectedAt >= 900 && connectedAt <= 950, String(connectedAt));
    await advance(20_000);
    assert.equal(typeof connectedAt, 'number');
  });

  it('makes a refused data plane wait the whole cap, unprobed', async () => {
    const { probe, calls } = scripted(false, true);
    const timer = new ReconnectTimer({ backoff, probe, random: half });
    let connected = 0;
    assert.equal(
      timer.schedule(0, true, () => connected++),
      30_000,
    );
    await advance(29_990, 1_000);
    assert.equal(connected, 0);
    await advance(20);
    assert.equal(connected, 1);
    assert.equal(calls(), 0);
  });

  it('does not probe a wait shorter than a probe interval', async () => {
    const { probe, calls } = scripted(false, true);
    const timer = new ReconnectTimer({ backoff, probe, random: half });
    let connected = 0;
    assert.equal(
      timer.schedule(0, false, () => connected++),
      250,
    );
    await advance(260);
    assert.equal(connected, 1);
    assert.equal(calls(), 0);
  });

  it('stops waiting and probing when cancelled, and a new schedule replaces the old one', async () => {
    const { probe, calls } = scripted(false);
    const timer = new ReconnectTimer({ backoff, probe, random: half });
    let first = 0;
    let second = 0;
    timer.schedule(6, false, () => first++);
    await advance(100);
    timer.schedule(1, false, () => second++);
    await advance(600);
    assert.deepEqual([first, second], [0, 1]);
    timer.schedule(6, false, () => first++);
    timer.cancel();
    const probesAtCancel = calls();
    await advance(20_000, 500);
    assert.equal(first, 0);
    assert.equal(calls(), probesAtCancel);
  });
});
