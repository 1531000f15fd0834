/**
 * UDP through a running node with two proxy workers (`stream_listen … udp`), configured through
 * the Admin API as a Kong user would: udp services and routes on destinations and sources, a
 * session per client address that keeps its peer, replies back to the client, big datagrams
 * intact, the session's end after read_timeout (with its bytes in the stream log line),
 * ip-restriction, and datagrams nothing routes dropped without reaching any upstream.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { runTurnpike } from '../helpers/turnpike.ts';

/** A UDP server that answers each datagram with `<name>:` and the datagram; counts what it got. */
async function udpEcho(name: string): Promise<{ port: number; received: number } & AsyncDisposable> {
  const socket = createSocket('udp4');
  const state = { port: 0, received: 0 };
  socket.on('message', (msg, from) => {
    state.received++;
    socket.send(Buffer.concat([Buffer.from(`${name}:`), msg]), from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  state.port = socket.address().port;
  return Object.assign(state, {
    async [Symbol.asyncDispose]() {
      socket.close();
    },
  });
}

/** A client socket of its own (one session), collecting the replies. */
async function client(): Promise<{ socket: Socket; replies: Buffer[] } & AsyncDisposable> {
  const socket = createSocket('udp4');
  const replies: Buffer[] = [];
  socket.on('message', (msg) => replies.push(msg));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    socket,
    replies,
    async [Symbol.asyncDispose]() {
      socket.close();
    },
  };
}

function send(socket: Socket, port: number, payload: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
}

describe('UDP through a running node', () => {
  it('routes udp datagrams in sessions per client, keeps each session on its peer, and ends it after read_timeout', async () => {
    await using a = await udpEcho('A');
    await using b = await udpEcho('B');
    const [byPort, bySource, unrouted, guarded] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    await using node = await startTraditionalNode({
      env: {
        TURNPIKE_WORKER_PROCESSES: '2',
        TURNPIKE_STREAM_LISTEN: [byPort, bySource, unrouted, guarded]
          .map((p) => `127.0.0.1:${p} udp`)
          .join(', '),
      },
    });
    const created = async (path: string, body: Record<string, unknown>): Promise<{ id: string }> => {
      const res = await http('POST', `${node.adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
      return res.body as { id: string };
    };
    const service = await created('/services', {
      name: 'a',
      url: `udp://127.0.0.1:${a.port}`,
      read_timeout: 400,
    });
    assert.equal((service as { protocol?: string }).protocol, 'udp');
    await created('/services/a/routes', {
      name: 'by-port',
      protocols: ['udp'],
      destinations: [{ port: byPort }],
    });
    await created('/upstreams', { name: 'udp.internal' });
    for (const port of [a.port, b.port])
      await created('/upstreams/udp.internal/targets', { target: `127.0.0.1:${port}` });
    await created('/services', {
      name: 'balanced',
      host: 'udp.internal',
      protocol: 'udp',
      read_timeout: 400,
    });
    await created('/services/balanced/routes', {
      name: 'by-source',
      protocols: ['udp'],
      sources: [{ ip: '127.0.0.0/8' }],
      destinations: [{ port: bySource }],
    });
    await created('/services/a/routes', {
      name: 'guarded',
      protocols: ['udp'],
      destinations: [{ port: guarded }],
    });
    // Kong's ip-restriction runs on udp only when its protocols say so (its default has tcp and tls, not udp).
    await created('/routes/guarded/plugins', {
      name: 'ip-restriction',
      protocols: ['udp'],
      config: { deny: ['127.0.0.1'] },
    });

    // One session: every datagram answered, in the service's words, through both workers' sockets.
    await using one = await client();
    await eventually(
      async () => {
        await send(one.socket, byPort, 'ping');
        await sleep(50);
        return one.replies.length;
      },
      (n) => n > 0,
    );
    one.replies.length = 0;
    for (let i = 0; i < 20; i++) await send(one.socket, byPort, `n${i}`);
    const twenty = await eventually(
      async () => one.replies.map(String),
      (r) => r.length === 20,
    );
    assert.deepEqual([...twenty].sort(), Array.from({ length: 20 }, (_, i) => `A:n${i}`).sort());
    // A datagram near the IPv4 limit arrives whole, both ways.
    const big = Buffer.alloc(60_000, 7);
    big.writeUInt32BE(0xdeadbeef, 0);
    await send(one.socket, byPort, big);
    const bigReply = await eventually(
      async () => one.replies.find((r) => r.length === big.length + 2),
      (r) => r !== undefined,
    );
    assert.ok(bigReply!.subarray(2).equals(big));

    // Through an upstream: each client's session stays on its peer; round robin spreads clients.
    const peers = new Set<string>();
    for (let c = 0; c < 4; c++) {
      await using other = await client();
      for (let i = 0; i < 5; i++) await send(other.socket, bySource, `c${c}-${i}`);
      const replies = await eventually(
        async () => other.replies.map(String),
        (r) => r.length === 5,
      );
      const names = new Set(replies.map((r) => r.split(':')[0]));
      assert.equal(names.size, 1, `one session, one peer: ${replies}`);
      peers.add([...names][0]!);
    }
    assert.deepEqual([...peers].sort(), ['A', 'B'], 'sessions were spread over both targets');

    // The session ends after read_timeout without a datagram: its log line has its bytes.
    const ended = await node.waitForLog(
      (l) => l.msg === 'stream session closed' && l.protocol === 'udp' && l.route !== undefined,
      5_000,
    );
    assert.equal(ended.status, 200);
    assert.ok(Number(ended.bytes_in) > 0 && Number(ended.bytes_out) > 0, JSON.stringify(ended));

    // Nothing routes this listener, and ip-restriction refuses the last: no answer, no upstream datagram.
    const before = a.received + b.received;
    await using lost = await client();
    await send(lost.socket, unrouted, 'anyone?');
    await send(lost.socket, guarded, 'let me in');
    await sleep(500);
    assert.equal(lost.replies.length, 0);
    assert.equal(a.received + b.received, before, 'nothing reached an upstream');
  });

  it('refuses udp where it means nothing: with ssl or proxy_protocol, or on proxy_listen', async () => {
    for (const [env, key, words] of [
      [{ TURNPIKE_STREAM_LISTEN: '127.0.0.1:0 udp ssl' }, 'stream_listen', /udp flag with ssl/],
      [
        { TURNPIKE_STREAM_LISTEN: '127.0.0.1:0 udp proxy_protocol' },
        'stream_listen',
        /udp flag with proxy_protocol/,
      ],
      [{ TURNPIKE_PROXY_LISTEN: '127.0.0.1:0 udp' }, 'proxy_listen', /udp flag/],
    ] as const) {
      const result = await runTurnpike(['check'], env);
      assert.notEqual(result.code, 0, JSON.stringify(env));
      assert.match(result.stderr + result.stdout, new RegExp(key));
      assert.match(result.stderr + result.stdout, words);
    }
  });
});
