import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import vm from 'node:vm';
import { createLogger } from '../log.ts';
import {
  cancelHeapSettle,
  requestHeapSettle,
  setNativeHeapTrimmer,
  settleHeapNow,
  settleHeapWhenIdle,
} from './heap-settle.ts';

/** Start-up in miniature: a burst of short-lived allocation grows the young generation. */
function churn(): number {
  let kept = 0;
  for (let round = 0; round < 40; round++) {
    const batch = Array.from({ length: 20_000 }, (_, i) => ({ i, text: `entry ${i} of ${round}` }));
    kept += batch.length;
  }
  return kept;
}

test('the memory-reducing collection shrinks what start-up grew, and leaves no gc global behind', () => {
  churn();
  const settled = settleHeapNow();
  assert.ok(settled !== undefined, 'V8 offers the collection');
  assert.ok(settled.heapAfter < settled.heapBefore, `heap ${settled.heapBefore} → ${settled.heapAfter}`);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined', 'a context made later has no gc');
});

/** A logger whose debug lines the test reads. */
function recordingLog(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({
    level: 'debug',
    name: 'test',
    destination: { write: (line: string) => lines.push(line) },
  });
  return { log, lines };
}

test('an idle process is settled once, after the quiet window', async () => {
  const { log, lines } = recordingLog();
  churn();
  settleHeapWhenIdle({ log, quietMs: 50 });
  await sleep(300);
  const settled = lines.filter((line) => line.includes('start-up memory given back'));
  assert.equal(settled.length, 1);
  const entry = JSON.parse(settled[0] ?? '{}') as { heap_mb: [number, number] };
  assert.ok(entry.heap_mb[1] <= entry.heap_mb[0]);
});

test('a busy process is left alone until it gives up, and a cancel stops the wait', async () => {
  const { log, lines } = recordingLog();
  settleHeapWhenIdle({ log, quietMs: 20, attempts: 2 });
  // Each check runs after a block of work, so each window it reads was busy.
  for (let block = 0; block < 4; block++) {
    const spin = performance.now() + 60;
    while (performance.now() < spin);
    await new Promise((done) => setImmediate(done));
  }
  await sleep(100);
  assert.equal(lines.filter((line) => line.includes('start-up memory given back')).length, 0);
  assert.equal(lines.filter((line) => line.includes('the process stayed busy')).length, 1);

  const cancel = settleHeapWhenIdle({ log, quietMs: 30 });
  cancel();
  await sleep(120);
  assert.equal(lines.filter((line) => line.includes('start-up memory given back')).length, 0);
});

test('requests while one is pending join it; after it ran, a new request settles again', async () => {
  const { log, lines } = recordingLog();
  const given = () => lines.filter((line) => line.includes('start-up memory given back')).length;
  requestHeapSettle({ log, quietMs: 40 });
  requestHeapSettle({ log, quietMs: 40 });
  requestHeapSettle({ log, quietMs: 40 });
  await sleep(250);
  assert.equal(given(), 1);
  requestHeapSettle({ log, quietMs: 40 });
  await sleep(250);
  assert.equal(given(), 2);
  requestHeapSettle({ log, quietMs: 40 });
  cancelHeapSettle();
  await sleep(150);
  assert.equal(given(), 2, 'cancelled');
});

test('the native trimmer runs after the collection, once per settle, and not once unset', () => {
  let trims = 0;
  setNativeHeapTrimmer(() => {
    trims++;
  });
  try {
    assert.ok(settleHeapNow() !== undefined);
    assert.equal(trims, 1);
  } finally {
    setNativeHeapTrimmer(undefined);
  }
  settleHeapNow();
  assert.equal(trims, 1);
});
