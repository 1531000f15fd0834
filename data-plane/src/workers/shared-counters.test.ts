import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkerMessage } from './protocol.ts';
import { IpcNodeCounters, SharedCounterStore } from './shared-counters.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
/** A minute window of `limit` (slot 0) and an unused slot 1. */
const windows = Float64Array.from([T0, T0 + 60_000, 3, Number.NaN, Number.NaN, Number.NaN]);

/** Two workers' clients over one main-process store, messages structured-cloned as over IPC. */
function node() {
  const store = new SharedCounterStore();
  const sent: WorkerMessage[] = [];
  const clients: IpcNodeCounters[] = [];
  for (let i = 0; i < 2; i++) {
    const client: IpcNodeCounters = new IpcNodeCounters((message) => {
      sent.push(message);
      const copy = structuredClone(message);
      setImmediate(() => {
        if (copy.type === 'counters-take') client.settle(structuredClone(store.answer(copy)));
      });
    });
    clients.push(client);
  }
  return { store, sent, clients };
}

describe('shared counters (node-wide, kept by the main process)', () => {
  test('two workers share one count: exactly the limit passes, remaining counts down across them', async () => {
    const { clients } = node();
    const seen: [number, number][] = [];
    for (let i = 0; i < 5; i++) {
      const taken = await clients[i % 2]!.take('k', windows);
      seen.push([taken.counts[0]!, taken.refused]);
    }
    assert.deepEqual(seen, [
      [0, -1],
      [1, -1],
      [2, -1],
      [3, 0],
      [3, 0],
    ]);
  });

  test('the takes of one event-loop turn travel as one message, answered in order', async () => {
    const { clients, sent } = node();
    const answers = await Promise.all([
      clients[0]!.take('k', windows),
      clients[0]!.take('k', windows),
      clients[0]!.take('other', windows),
      clients[0]!.take('k', windows),
      clients[0]!.take('k', windows),
    ]);
    assert.equal(sent.length, 1);
    assert.deepEqual(
      answers.map((a) => [a.counts[0], a.refused]),
      [
        [0, -1],
        [1, -1],
        [0, -1],
        [2, -1],
        [3, 0],
      ],
    );
  });

  test('the caller may reuse its windows array as soon as take returns', async () => {
    const { clients } = node();
    const reused = Float64Array.from(windows);
    const first = clients[0]!.take('k', reused);
    reused[2] = 0; // a limit of 0: the next take is refused, the first one is not
    const second = clients[0]!.take('k', reused);
    assert.equal((await first).refused, -1);
    assert.equal((await second).refused, 0);
  });

  test('once the main process is gone, pending and later takes are rejected', async () => {
    const client = new IpcNodeCounters(() => {});
    const pending = client.take('k', windows);
    client.close('the main process is gone');
    await assert.rejects(pending, /the node's counters cannot be reached: the main process is gone/);
    await assert.rejects(client.take('k', windows), /cannot be reached/);
  });
});
