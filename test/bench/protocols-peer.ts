/**
 * The processes of the protocols section, one role per run (`node protocols-peer.ts <role> …`):
 *   grpc-server                      the grpc-js echo server of the e2e tests; prints `PORT <n>`
 *   grpc-load HOST:PORT CHANNELS INFLIGHT SECONDS
 *                                    unary calls (/test.Echo/Unary, 64 bytes) kept INFLIGHT at once,
 *                                    spread over CHANNELS channels, for SECONDS; prints one JSON line
 *                                    { calls, errors, seconds, cpu, firstError }
 *   grpc-forward GRPC_PORT           the bare gRPC forwarder: a node:http2 h2c server whose every stream
 *                                    is sent on one client session to the echo server and answered
 *                                    back, trailers included; the floor of any node:http2 gRPC proxy;
 *                                    prints `PORT <n>`
 *   tcp-sink                         reads every byte of a connection and, once the client half-closes,
 *                                    answers the byte count (8 bytes) and ends; prints `PORT <n>`
 *   tcp-pipe SINK_PORT               the bare forwarder: node:net sockets piped both ways to the sink,
 *                                    the floor of any Node TCP proxy; prints `PORT <n>`
 *   tcp-load PORT BYTES CONNECTIONS  sends BYTES over each of CONNECTIONS connections at once, ends,
 *                                    waits for every count; prints { bytes, seconds, cpu, counted }
 * Run pinned (`taskset`) by protocols.bench.ts; a server role runs until SIGTERM.
 */

import { once } from 'node:events';
import { createServer as createH2Server, constants as h2, connect as h2connect } from 'node:http2';
import { connect, createServer, type Socket } from 'node:net';
import { ChannelCredentials, Client, Metadata } from '@grpc/grpc-js';
import { echoServer } from '../e2e/grpc-fixtures.ts';

const identity = (b: Buffer): Buffer => b;

function cpuShare(startCpu: NodeJS.CpuUsage, startWall: number): number {
  const used = process.cpuUsage(startCpu);
  return (used.user + used.system) / 1000 / (performance.now() - startWall);
}

async function grpcLoad(target: string, channels: number, inflight: number, seconds: number): Promise<void> {
  // A local subchannel pool per channel: grpc-js would otherwise share one connection among them.
  const clients = Array.from(
    { length: channels },
    () => new Client(target, ChannelCredentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
  );
  const payload = Buffer.alloc(64, 7);
  // Connect every channel before the clock starts.
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve, reject) =>
          c.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())),
        ),
    ),
  );
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  const startWall = performance.now();
  const startCpu = process.cpuUsage();
  const endAt = startWall + seconds * 1000;
  await new Promise<void>((resolve) => {
    let running = 0;
    const call = (client: (typeof clients)[number]): void => {
      running++;
      client.makeUnaryRequest(
        '/test.Echo/Unary',
        identity,
        identity,
        payload,
        new Metadata(),
        {},
        (error) => {
          running--;
          if (error) {
            errors++;
            firstError ??= error.message;
          } else calls++;
          if (performance.now() < endAt) call(client);
          else if (running === 0) resolve();
        },
      );
    };
    for (let i = 0; i < inflight; i++) call(clients[i % channels]!);
  });
  const elapsed = (performance.now() - startWall) / 1000;
  const cpu = cpuShare(startCpu, startWall);
  for (const c of clients) c.close();
  console.log(JSON.stringify({ calls, errors, seconds: elapsed, cpu, firstError }));
}

/**
 * The bare gRPC forwarder: server stream → a request on one client session → response, data and
 * trailers written back. No routing, no plugins, no deadlines: what node:http2 costs by itself.
 */
function grpcForward(upstreamPort: number): void {
  const session = h2connect(`http://127.0.0.1:${upstreamPort}`);
  session.on('error', () => undefined);
  const server = createH2Server();
  server.on('stream', (down, headers) => {
    const out: Record<string, string | string[]> = {};
    for (const name in headers) {
      if (name === ':authority' || name === ':scheme') continue;
      const v = headers[name];
      if (v !== undefined) out[name] = v;
    }
    const up = session.request(out);
    down.on('data', (chunk: Buffer) => up.write(chunk));
    down.on('end', () => up.end());
    down.on('error', () => up.close(h2.NGHTTP2_CANCEL));
    up.on('error', () => down.close(h2.NGHTTP2_INTERNAL_ERROR));
    up.on('response', (res) => down.respond(res, { waitForTrailers: true }));
    let trailers: Record<string, string | string[]> = {};
    up.on('trailers', (t) => {
      trailers = t as Record<string, string | string[]>;
    });
    down.on('wantTrailers', () => down.sendTrailers(trailers));
    up.on('data', (chunk: Buffer) => down.write(chunk));
    // 'end' may come before 'trailers' (one tick): the response ends once the upstream stream closed.
    up.on('close', () => (up.rstCode === h2.NGHTTP2_NO_ERROR ? down.end() : down.close(up.rstCode)));
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
  process.once('SIGTERM', () => {
    server.close();
    session.close();
    process.exit(0);
  });
}

function tcpSink(): void {
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    let count = 0;
    socket.on('data', (chunk: Buffer) => {
      count += chunk.length;
    });
    socket.on('end', () => {
      const answer = Buffer.alloc(8);
      answer.writeBigUInt64BE(BigInt(count));
      socket.end(answer);
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
  process.once('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}

/** The bare forwarder: every connection piped both ways to the sink, half-close passed on. */
function tcpPipe(sinkPort: number): void {
  const server = createServer({ allowHalfOpen: true }, (client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: sinkPort, allowHalfOpen: true });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
  process.once('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}

/** Sends `bytes` on one connection (64 KiB writes, honouring backpressure), ends, reads the count. */
async function sendOne(port: number, bytes: number): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(socket, 'connect');
  const chunk = Buffer.alloc(64 * 1024, 1);
  const answer: Buffer[] = [];
  socket.on('data', (b: Buffer) => answer.push(b));
  const ended = once(socket, 'end');
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(sent + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - sent)))
      await once(socket, 'drain');
  }
  socket.end();
  await ended;
  socket.destroy();
  const all = Buffer.concat(answer);
  return all.length === 8 ? Number(all.readBigUInt64BE()) : -1;
}

async function tcpLoad(port: number, bytes: number, connections: number): Promise<void> {
  const startWall = performance.now();
  const startCpu = process.cpuUsage();
  const counted = await Promise.all(Array.from({ length: connections }, () => sendOne(port, bytes)));
  const seconds = (performance.now() - startWall) / 1000;
  console.log(
    JSON.stringify({ bytes: bytes * connections, seconds, cpu: cpuShare(startCpu, startWall), counted }),
  );
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'grpc-server') {
  const server = await echoServer();
  console.log(`PORT ${server.port}`);
  process.once('SIGTERM', () => {
    void Promise.resolve(server[Symbol.asyncDispose]()).finally(() => process.exit(0));
  });
} else if (role === 'grpc-load') {
  await grpcLoad(rest[0]!, Number(rest[1]), Number(rest[2]), Number(rest[3]));
  process.exit(0);
} else if (role === 'grpc-forward') {
  grpcForward(Number(rest[0]));
} else if (role === 'tcp-sink') {
  tcpSink();
} else if (role === 'tcp-pipe') {
  tcpPipe(Number(rest[0]));
} else if (role === 'tcp-load') {
  await tcpLoad(Number(rest[0]), Number(rest[1]), Number(rest[2]));
} else {
  console.error(`protocols-peer: unknown role ${role}`);
  process.exit(2);
}
