import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { type PipeClose, type PipeEnd, pipePair } from './in-process.ts';

type Msg = { n: number; list?: number[]; bytes?: Buffer };

/** Records what an end receives. */
function recorder(end: PipeEnd<Msg, Msg>) {
  const got: number[] = [];
  const ends: PipeClose[] = [];
  end.listen({ message: (m) => got.push(m.n), end: (reason) => ends.push(reason) });
  return { got, ends };
}

/** Lets every scheduled delivery run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('pipePair', () => {
  it('delivers in order, asynchronously, never inside send', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    const got = recorder(b);
    a.send({ n: 1 });
    a.send({ n: 2 });
    assert.deepEqual(got.got, [], 'nothing delivered inside send');
    await settle();
    a.send({ n: 3 });
    await settle();
    assert.deepEqual(got.got, [1, 2, 3]);
  });

  it('an answer from inside a handler is not delivered re-entrantly', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    const order: string[] = [];
    b.listen({
      message: (m) => {
        order.push(`b got ${m.n}`);
        b.send({ n: m.n + 100 });
        order.push(`b answered ${m.n}`);
      },
      end: () => {},
    });
    a.listen({ message: (m) => order.push(`a got ${m.n}`), end: () => {} });
    a.send({ n: 1 });
    await settle();
    assert.deepEqual(order, ['b got 1', 'b answered 1', 'a got 101']);
  });

  it('holds what arrives before listen', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    a.send({ n: 1 });
    a.end();
    await settle();
    const got = recorder(b);
    await settle();
    assert.deepEqual(got.got, [1]);
    assert.deepEqual(got.ends, [{}]);
  });

  it('hands over a copy: neither side sees what the other changes afterwards', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    const sent = { n: 1, list: [1, 2] };
    let received: Msg | undefined;
    b.listen({ message: (m) => (received = m), end: () => {} });
    a.send(sent);
    sent.list.push(3);
    await settle();
    assert.deepEqual(received, { n: 1, list: [1, 2] });
    received?.list?.push(9);
    assert.deepEqual(sent.list, [1, 2, 3]);
  });

  it('copies a Buffer as a Buffer', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    let received: Msg | undefined;
    b.listen({ message: (m) => (received = m), end: () => {} });
    const bytes = Buffer.from('{"entities":{}}');
    a.send({ n: 1, bytes });
    bytes[0] = 0;
    await settle();
    assert.ok(Buffer.isBuffer(received?.bytes));
    assert.equal(received?.bytes?.toString('utf8'), '{"entities":{}}');
  });

  it('end delivers what was sent before it, then the end, then nothing', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    const atB = recorder(b);
    const atA = recorder(a);
    a.send({ n: 1 });
    a.end({ code: 10, details: 'replaced' });
    a.send({ n: 2 });
    assert.equal(a.ended, true);
    await settle();
    assert.deepEqual(atB.got, [1]);
    assert.deepEqual(atB.ends, [{ code: 10, details: 'replaced' }]);
    assert.equal(b.ended, true);
    b.send({ n: 3 });
    await settle();
    assert.deepEqual(atA.got, [], 'nothing reaches the side that ended');
    assert.deepEqual(atA.ends, [], 'the side that ended is not told of its own end');
  });

  it('drops what was on its way to the side that ends', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    const atA = recorder(a);
    const atB = recorder(b);
    b.send({ n: 1 });
    a.end();
    await settle();
    assert.deepEqual(atA.got, []);
    assert.deepEqual(atB.ends, [{}]);
  });

  it('cancel drops what the cancelling side had not delivered yet, both ways', async () => {
    for (const [first, second] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const ends = pipePair<Msg, Msg>();
      const canceller = ends[first];
      const other = ends[second];
      const atOther = recorder(other);
      const atCanceller = recorder(canceller);
      canceller.send({ n: 1 });
      other.send({ n: 2 });
      canceller.cancel();
      await settle();
      assert.deepEqual(atOther.got, []);
      assert.deepEqual(atOther.ends, [{ code: 1, details: 'cancelled' }]);
      assert.deepEqual(atCanceller.got, []);
      assert.deepEqual(atCanceller.ends, []);
    }
  });

  it('a side that ends is never told of an end, its own or one crossing it', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    const atA = recorder(a);
    const atB = recorder(b);
    a.end();
    b.end({ code: 14 });
    await settle();
    assert.deepEqual(atA.ends, []);
    assert.deepEqual(atB.ends, []);
    const [c, d] = pipePair<Msg, Msg>();
    const atD = recorder(d);
    c.end();
    await settle();
    d.end();
    assert.deepEqual(atD.ends, [{}], 'told once');
  });

  it('a throwing handler ends the pair (INTERNAL) on both sides instead of throwing out', async () => {
    const [a, b] = pipePair<Msg, Msg>();
    const atA = recorder(a);
    const ends: PipeClose[] = [];
    const got: number[] = [];
    b.listen({
      message: (m) => {
        got.push(m.n);
        throw new Error('boom');
      },
      end: (reason) => ends.push(reason),
    });
    a.send({ n: 1 });
    a.send({ n: 2 });
    await settle();
    assert.deepEqual(got, [1]);
    assert.deepEqual(ends, [{ code: 13, details: 'boom' }]);
    assert.deepEqual(atA.ends, [{ code: 13, details: 'boom' }]);
    assert.equal(a.ended, true);
  });
});
