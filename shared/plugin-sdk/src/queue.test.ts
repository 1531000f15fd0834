import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './log.ts';
import { LogQueue, LogQueues, type QueueConfig } from './queue.ts';

const DEFAULTS: QueueConfig = {
  max_batch_size: 1,
  max_coalescing_delay: 1,
  max_entries: 10_000,
  max_bytes: null,
  max_retry_time: 60,
  initial_retry_delay: 0.01,
  max_retry_delay: 60,
  concurrency_limit: 1,
};

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const fn = (_obj: unknown, msg?: string) => {
    lines.push(String(msg));
  };
  return { lines, trace: fn, debug: fn, info: fn, warn: fn, error: fn, fatal: fn } as never;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met');
    await sleep(5);
  }
}

describe('LogQueue', () => {
  it('sends one entry per batch when max_batch_size is 1', async () => {
    const batches: string[][] = [];
    const q = new LogQueue('t', DEFAULTS, async (b) => void batches.push([...b]), recordingLog());
    q.enqueue('a');
    q.enqueue('b');
    await until(() => batches.length === 2);
    assert.deepEqual(batches, [['a'], ['b']]);
  });

  it('coalesces up to max_batch_size, sending a full batch without waiting the delay', async () => {
    const batches: string[][] = [];
    const q = new LogQueue(
      't',
      { ...DEFAULTS, max_batch_size: 3, max_coalescing_delay: 30 },
      async (b) => void batches.push([...b]),
      recordingLog(),
    );
    const start = Date.now();
    for (const e of ['1', '2', '3']) q.enqueue(e);
    await until(() => batches.length === 1);
    assert.ok(Date.now() - start < 10_000);
    assert.deepEqual(batches, [['1', '2', '3']]);
    q.close();
  });

  it('sends a partial batch after max_coalescing_delay', async () => {
    const batches: string[][] = [];
    const q = new LogQueue(
      't',
      { ...DEFAULTS, max_batch_size: 10, max_coalescing_delay: 0.05 },
      async (b) => void batches.push([...b]),
      recordingLog(),
    );
    q.enqueue('x');
    q.enqueue('y');
    await until(() => batches.length === 1);
    assert.deepEqual(batches, [['x', 'y']]);
  });

  it('retries a failed batch with backoff, then delivers it', async () => {
    let calls = 0;
    const delivered: string[][] = [];
    const q = new LogQueue(
      't',
      DEFAULTS,
      async (b) => {
        calls++;
        if (calls < 3) throw new Error('500');
        delivered.push([...b]);
      },
      recordingLog(),
    );
    q.enqueue('r');
    await until(() => delivered.length === 1);
    assert.equal(calls, 3);
    assert.equal(q.dropped, 0);
  });

  it('drops a batch once max_retry_time is spent, counted', async () => {
    const log = recordingLog();
    const q = new LogQueue(
      't',
      { ...DEFAULTS, max_retry_time: 0.05, initial_retry_delay: 0.01, max_retry_delay: 0.02 },
      async () => {
        throw new Error('down');
      },
      log,
    );
    q.enqueue('lost');
    await until(() => q.dropped === 1);
    assert.ok(log.lines.some((l) => /dropping them/.test(l)));
  });

  it('a full queue drops its oldest entries with one warning, never growing past max_entries', async () => {
    const log = recordingLog();
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const batches: string[][] = [];
    const q = new LogQueue(
      't',
      { ...DEFAULTS, max_entries: 5 },
      async (b) => {
        await blocked;
        batches.push([...b]);
      },
      log,
    );
    for (let i = 0; i < 100; i++) {
      q.enqueue(String(i));
      assert.ok(q.length <= 5);
    }
    // One entry is in flight (taken before the queue filled); 94 of the rest were dropped.
    assert.equal(q.dropped, 94);
    assert.equal(log.lines.filter((l) => /queue full/.test(l)).length, 1);
    release();
    await until(() => batches.length === 6);
    assert.deepEqual(batches.flat(), ['0', '95', '96', '97', '98', '99']);
  });

  it('max_bytes drops old entries to make room, and refuses an entry larger than it', async () => {
    const log = recordingLog();
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const q = new LogQueue('t', { ...DEFAULTS, max_bytes: 10 }, async () => blocked, log);
    q.enqueue('first'); // taken at once
    await sleep(5);
    assert.equal(q.enqueue('aaaa'), true);
    assert.equal(q.enqueue('bbbb'), true);
    assert.equal(q.enqueue('cccc'), true); // 12 bytes > 10: 'aaaa' dropped
    assert.equal(q.dropped, 1);
    assert.equal(q.enqueue('x'.repeat(11)), false);
    release();
    q.close();
  });

  it('counts the bytes of an entry max_entries drops, so max_bytes drops no more than it must', async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const q = new LogQueue(
      't',
      { ...DEFAULTS, max_entries: 2, max_bytes: 25 },
      async () => blocked,
      recordingLog(),
    );
    q.enqueue('first'); // taken at once
    await sleep(5);
    for (const e of ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc']) q.enqueue(e);
    // 'aaaaaaaaaa' made room by max_entries: 20 bytes queued, under max_bytes, nothing else dropped.
    assert.equal(q.length, 2);
    assert.equal(q.dropped, 1);
    release();
    q.close();
  });

  it('queues values other than strings as they are, for send to encode; refuses them with max_bytes', async () => {
    const batches: { n: number }[][] = [];
    const log = recordingLog();
    const q = new LogQueue<{ n: number }>(
      't',
      { ...DEFAULTS, max_batch_size: 10, max_coalescing_delay: 0.01 },
      async (b) => void batches.push([...b]),
      log,
    );
    const first = { n: 1 };
    q.enqueue(first);
    q.enqueue({ n: 2 });
    await until(() => batches.flat().length === 2);
    assert.equal(batches.flat()[0], first);
    const bounded = new LogQueue<object>('b', { ...DEFAULTS, max_bytes: 100 }, async () => {}, log);
    assert.equal(bounded.enqueue({ n: 3 }), false);
    assert.ok(log.lines.includes('only strings can be queued when max_bytes is set'));
  });
});

describe('LogQueues', () => {
  it('reclaims a queue idle past idleMs, never one that still holds entries, and makes it again on use', async () => {
    const queues = new LogQueues<{ queue: LogQueue; close(): void }>(50);
    let closed = 0;
    let release: (() => void) | undefined;
    const send = () =>
      new Promise<void>((resolve) => {
        release = resolve;
      });
    const make = () => ({
      queue: new LogQueue('q', DEFAULTS, send, recordingLog()),
      close: () => void closed++,
    });
    const first = queues.get('a', make);
    assert.equal(queues.get('a', make), first, 'one queue per name');
    first.queue.enqueue('held');
    // Busy (a delivery in flight): kept past idleMs.
    await sleep(150);
    assert.equal(queues.size, 1);
    assert.equal(closed, 0);
    release?.();
    await until(() => first.queue.idle);
    await until(() => queues.size === 0, 2000);
    assert.equal(closed, 1);
    const again = queues.get('a', make);
    assert.notEqual(again, first, 'made again on its next use');
    assert.equal(queues.size, 1);
  });
});
