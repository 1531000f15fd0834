/**
 * The splice loop alone (splice.c), over loopback sockets: bytes and a half-close each way with
 * their counts, an idle bound, an abort, and arguments it refuses. The gateway's use of it is
 * tested end to end in test/e2e/proxy-stream-splice.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { nativeAddon } from './index.ts';

const addon = nativeAddon();
const ends = new Map<number, (end: [reason: number, errno: number, c2u: number, u2c: number]) => void>();
const linux = process.platform === 'linux';

/** A connected pair: `outer` (the test's end) and `inner` (the end whose fd the loop gets). */
async function pair(): Promise<{ outer: Socket; inner: Socket; server: Server }> {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const outer = connect({
    port: (server.address() as { port: number }).port,
    host: '127.0.0.1',
    allowHalfOpen: true,
  });
  const [inner] = (await once(server, 'connection')) as [Socket];
  await once(outer, 'connect');
  return { outer, inner, server };
}

function fdOf(socket: Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

async function spliced(idleMs = 0) {
  const a = await pair();
  const b = await pair();
  let id = 0;
  const ended = new Promise<[number, number, number, number]>((resolve) => {
    id = addon!.spliceAdd!(fdOf(a.inner), fdOf(b.inner), idleMs);
    ends.set(id, resolve);
  });
  return {
    client: a.outer,
    upstream: b.outer,
    id,
    ended,
    close() {
      for (const p of [a, b]) {
        p.outer.destroy();
        p.inner.destroy();
        p.server.close();
      }
    },
  };
}

function readAll(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return once(socket, 'end').then(() => Buffer.concat(chunks).toString());
}

before(() => {
  if (!linux) return;
  addon!.spliceSetup!((id, reason, errno, c2u, u2c) => {
    ends.get(id)?.([reason, errno, c2u, u2c]);
    ends.delete(id);
  });
});
after(() => ends.clear());

test('splice carries bytes each way, passes each half-close on, and counts what it moved', {
  skip: !linux,
}, async () => {
  const s = await spliced();
  const atUpstream = readAll(s.upstream);
  const atClient = readAll(s.client);
  s.client.end('hello upstream');
  assert.equal(await atUpstream, 'hello upstream');
  s.upstream.end('hello client!');
  assert.equal(await atClient, 'hello client!');
  assert.deepEqual(await s.ended, [0, 0, 14, 13]);
  assert.equal(addon!.spliceActive!(), 0);
  s.close();
});

test('splice ends a connection silent for its idle bound (reason 1, ETIMEDOUT)', {
  skip: !linux,
}, async () => {
  const s = await spliced(300);
  const t0 = Date.now();
  const [reason, errno] = await s.ended;
  const waited = Date.now() - t0;
  assert.equal(reason, 1);
  assert.ok(errno > 0);
  assert.ok(waited >= 250 && waited < 2000, `ended after ${waited} ms`);
  s.close();
});

test('spliceAbort ends a connection now (reason 3); spliceActive counts what the loop holds', {
  skip: !linux,
}, async () => {
  const s = await spliced();
  s.client.write('x');
  await once(s.upstream, 'data');
  assert.equal(addon!.spliceActive!(), 1);
  addon!.spliceAbort!(s.id);
  assert.deepEqual(await s.ended, [3, 0, 1, 0]);
  assert.equal(addon!.spliceActive!(), 0);
  s.close();
});

test('spliceAdd refuses what is not a pair of fds, and a closed fd, with an error', { skip: !linux }, () => {
  assert.throws(() => addon!.spliceAdd!(-1, 0, 0), TypeError);
  assert.throws(() => addon!.spliceAdd!(1_000_000, 1_000_001, 0), /spliceAdd: Bad file descriptor/);
});
