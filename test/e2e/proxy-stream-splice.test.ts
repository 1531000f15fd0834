/**
 * Stream forwarding in the kernel (native/src/splice.c) against the JS fallback
 * (`TURNPIKE_NATIVE=off`), on a running node: the log line of every closed session says which one
 * moved its bytes (`forwarding`), with exact counts; a 100 MB transfer each way with a checksum
 * ended by a half-close, a silent connection closed by the service's idle timeout, and `turnpike
 * quit` draining an open connection.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { runTurnpike } from '../helpers/turnpike.ts';
import { exchangeOver, probeListener, streamEcho } from './stream-fixtures.ts';

const MB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

for (const forwarding of ['splice', 'pipe'] as const) {
  describe(`stream forwarding: ${forwarding}`, () => {
    it('carries 100 MB each way, passes a half-close on, counts bytes, closes an idle connection and drains on quit', async (t) => {
      await using a = await streamEcho('A');
      const listen = await freePort();
      await using node = await startTraditionalNode({
        env: {
          TURNPIKE_STREAM_LISTEN: `127.0.0.1:${listen}`,
          // Splice is the default; the JS pipe without the addon.
          ...(forwarding === 'pipe' ? { TURNPIKE_NATIVE: 'off' } : {}),
        },
      });
      const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
        const res = await http('POST', `${node.adminUrl}${path}`, body);
        assert.equal(res.status, 201, `${path}: ${res.text}`);
      };
      await created('/services', {
        name: 'echo',
        url: `tcp://127.0.0.1:${a.port}`,
        read_timeout: 800,
        write_timeout: 800,
      });
      await created('/services/echo/routes', {
        name: 'tcp-in',
        protocols: ['tcp'],
        destinations: [{ port: listen }],
      });
      await eventually(
        async () => (await exchangeOver(listen, Buffer.from('hello'))).toString(),
        (r) => r === 'A\nhello',
      );
      const listening = await node.waitForLog((l) => l.msg === 'stream proxy listening', 10_000);
      assert.equal(listening.forwarding, forwarding);
      // A node without the addon says so once, at start.
      const withoutAddon = node.lines.filter((l) => String(l.msg).startsWith('native addon not loaded'));
      assert.equal(withoutAddon.length, forwarding === 'pipe' ? 1 : 0);
      if (forwarding === 'pipe') assert.equal(withoutAddon[0]!.native, 'switched off by TURNPIKE_NATIVE=off');

      // 100 MB each way, checksummed; the client's half-close ends the echo, whose FIN comes back.
      const big = Buffer.alloc(100 * MB);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
      const t0 = Date.now();
      const got = await exchangeOver(listen, big);
      const ms = Date.now() - t0;
      assert.equal(got.subarray(0, 2).toString(), 'A\n');
      assert.equal(got.length, big.length + 2);
      assert.equal(sha(got.subarray(2)), sha(big), 'every byte arrives, in order');
      const closedBig = await node.waitForLog(
        (l) => l.msg === 'stream session closed' && l.bytes_in === big.length,
        10_000,
      );
      assert.equal(closedBig.forwarding, forwarding);
      assert.equal(closedBig.bytes_out, big.length + 2);
      assert.equal(closedBig.status, 200);

      // The bytes JS read before a hand-off count too: a small exchange, exact.
      await exchangeOver(listen, Buffer.from('xyz'));
      const small = await node.waitForLog(
        (l) => l.msg === 'stream session closed' && l.bytes_in === 3 && l.bytes_out === 5,
        10_000,
      );
      assert.equal(small.forwarding, forwarding);

      // A silent connection: closed after the service's idle bound (800 ms), not before. Not
      // half-open: the FIN of the gateway's close ends it.
      const silent = connect({ host: '127.0.0.1', port: listen });
      silent.on('error', () => {});
      let banner = '';
      silent.on('data', (c: Buffer) => {
        banner += c.toString();
      });
      await once(silent, 'connect');
      const opened = Date.now();
      await new Promise<void>((resolve) => silent.once('close', () => resolve()));
      const idleMs = Date.now() - opened;
      assert.equal(banner, 'A\n');
      assert.ok(idleMs >= 700 && idleMs < 3000, `closed after ${idleMs} ms`);
      await node.waitForLog(
        (l) => l.msg === 'stream connection closed on error' && l.code === 'ETIMEDOUT',
        10_000,
      );

      // `turnpike quit` drains: an open connection goes on carrying bytes both ways.
      const socket = connect({ host: '127.0.0.1', port: listen, allowHalfOpen: true });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => {
        received += c;
      });
      socket.on('error', () => {});
      await eventually(
        async () => received,
        (r) => r === 'A\n',
      );
      // Keep it active (the 800 ms idle bound) while quit stops the listeners.
      const keepAlive = setInterval(() => socket.write('.'), 200);
      const quit = runTurnpike(['quit', '--timeout', '20'], node.env);
      await eventually(
        () => probeListener(listen),
        (r) => r === 'ECONNREFUSED',
      );
      clearInterval(keepAlive);
      received = '';
      socket.write('still here');
      await eventually(
        async () => received,
        (r) => r.endsWith('still here'),
      );
      assert.equal(node.child.exitCode, null, 'the node waits for the open connection');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end();
      await closed;
      const result = await quit;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await node.exited, 0);
      // For the record, in the test's output: the 100 MB exchange's wall time.
      t.diagnostic(`${forwarding}: 2 × 100 MB echoed in ${ms} ms`);
    });
  });
}
