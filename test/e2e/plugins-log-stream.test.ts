/**
 * The log plugins on stream routes (Kong's stream log phase and its stream serializer), end to
 * end: one `turnpike start` with a plain, an ssl and a udp `stream_listen`, echo services, the
 * plugins' real receivers on loopback (a TCP line server for tcp-log, an HTTP server for
 * http-log, a UDP socket for udp-log, a temp file for file-log), everything configured through
 * the Admin API with the plugins' `protocols` listing the stream protocols, as a Kong user must.
 * The assertions are Kong's (spec/03-plugins/01-tcp-log "#stream reports tcp streams" / "tls
 * streams") on what arrives.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { startTraditionalNode, type TraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { issueCertificate, makeAuthority } from '../helpers/pki.ts';

type Json = Record<string, unknown>;
interface StreamRecord extends Json {
  session: { received: number; sent: number; status: number; server_port: number; tls?: Json };
  upstream: { received: number; sent: number };
  latencies: { kong: number; session: number };
  tries?: { ip: string; port: number }[];
  route?: Json;
  service?: Json;
  client_ip: string;
  started_at: number;
}

const MESSAGE = 'Hello, stream log!\n';

/** A TCP echo server: echoes what it reads, ends when the client ended. */
async function tcpEcho(): Promise<{ port: number; close(): void }> {
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/** A UDP socket: answers each datagram with `echo:` and the datagram (`echo` set), or records it. */
async function udpSocket(echo: boolean): Promise<{ socket: UdpSocket; port: number; got: Buffer[] }> {
  const socket = createSocket('udp4');
  const got: Buffer[] = [];
  socket.on('message', (msg, from) => {
    got.push(msg);
    if (echo) socket.send(Buffer.concat([Buffer.from('echo:'), msg]), from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port, got };
}

interface Receiver {
  readonly port: number;
  readonly records: StreamRecord[];
  close(): Promise<void>;
}

/** `server` listening on loopback, its records; `close` drops its connections first. */
async function listening(
  server: Server | ReturnType<typeof createHttpServer>,
  records: StreamRecord[],
  drop: () => void,
): Promise<Receiver> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    records,
    async close() {
      drop();
      await new Promise((r) => server.close(r));
    },
  };
}

/** tcp-log's receiver: every JSON line. */
async function lineReceiver(): Promise<Receiver> {
  const records: StreamRecord[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        records.push(JSON.parse(buffered.slice(0, nl)) as StreamRecord);
        buffered = buffered.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  return listening(server, records, () => {
    for (const s of sockets) s.destroy();
  });
}

/** http-log's receiver: the records of every POST (one object, or a batch array). */
async function httpReceiver(): Promise<Receiver> {
  const records: StreamRecord[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StreamRecord | StreamRecord[];
      records.push(...(Array.isArray(body) ? body : [body]));
      res.end('ok');
    });
  });
  return listening(server, records, () => server.closeAllConnections());
}

/** Sends MESSAGE over `socket`, half-closes, reads all until the proxy closes (Kong's `receive("*a")`). */
async function roundTrip(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  socket.end(MESSAGE);
  await closed;
  return Buffer.concat(chunks).toString();
}

async function tcpSession(port: number): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(socket, 'connect');
  return roundTrip(socket);
}

async function tlsSession(port: number): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'tls.test', rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  return roundTrip(socket);
}

/** Kong's "#stream reports tcp streams" assertions, on one record. */
function assertKongStreamRecord(record: StreamRecord, serverPort: number): void {
  assert.equal(record.client_ip, '127.0.0.1');
  assert.equal(typeof record.latencies, 'object');
  assert.equal(typeof record.latencies.kong, 'number');
  assert.equal(typeof record.latencies.session, 'number');
  assert.equal(record.session.status, 200);
  assert.equal(record.session.sent, MESSAGE.length);
  assert.equal(record.session.received, MESSAGE.length);
  assert.equal(record.session.server_port, serverPort);
  assert.equal(typeof record.started_at, 'number');
  assert.ok(Math.abs(record.started_at - Date.now()) < 60_000, 'started_at is epoch ms');
  assert.equal(typeof record.route, 'object');
  assert.equal(typeof record.service, 'object');
  assert.ok(Array.isArray(record.tries) && record.tries.length === 1, JSON.stringify(record.tries));
  assert.equal(record.tries[0]!.ip, '127.0.0.1');
  assert.equal(typeof record.upstream, 'object');
  assert.equal(record.upstream.sent, MESSAGE.length);
  assert.equal(record.upstream.received, MESSAGE.length);
  assert.equal(record.workspace_name, 'default');
}

let node: TraditionalNode;
let dir: string;
let echo: Awaited<ReturnType<typeof tcpEcho>>;
let udpEcho: Awaited<ReturnType<typeof udpSocket>>;
let udpLog: Awaited<ReturnType<typeof udpSocket>>;
let tcpLog: Awaited<ReturnType<typeof lineReceiver>>;
let httpLog: Awaited<ReturnType<typeof httpReceiver>>;
let plainPort: number;
let sslPort: number;
let udpPort: number;
let tcpRouteId: string;

async function created(path: string, body: Json): Promise<Json> {
  const res = await http('POST', `${node.adminUrl}${path}`, body);
  assert.equal(res.status, 201, `${path}: ${res.text}`);
  return res.body as Json;
}

describe('log plugins on stream routes through a running node', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'turnpike-stream-log-e2e-'));
    echo = await tcpEcho();
    udpEcho = await udpSocket(true);
    udpLog = await udpSocket(false);
    tcpLog = await lineReceiver();
    httpLog = await httpReceiver();
    [plainPort, sslPort, udpPort] = [await freePort(), await freePort(), await freePort()];
    node = await startTraditionalNode({
      env: {
        TURNPIKE_STREAM_LISTEN: `127.0.0.1:${plainPort}, 127.0.0.1:${sslPort} ssl, 127.0.0.1:${udpPort} udp`,
      },
    });
    const ca = await makeAuthority('stream log CA');
    const cert = await issueCertificate(ca, 'tls.test', ['tls.test']);
    await created('/certificates', { cert: cert.certPem, key: cert.keyPem, snis: ['tls.test'] });
    await created('/services', { name: 'echo', url: `tcp://127.0.0.1:${echo.port}` });
    await created('/services', {
      name: 'udp-echo',
      url: `udp://127.0.0.1:${udpEcho.port}`,
      read_timeout: 300,
    });
    const tcpRoute = await created('/services/echo/routes', {
      name: 'tcp-route',
      protocols: ['tcp'],
      destinations: [{ port: plainPort }],
    });
    tcpRouteId = String(tcpRoute.id);
    await created('/services/echo/routes', { name: 'tls-route', protocols: ['tls'], snis: ['tls.test'] });
    await created('/services/udp-echo/routes', {
      name: 'udp-route',
      protocols: ['udp'],
      destinations: [{ port: udpPort }],
    });
    const tcpLogConfig = { host: '127.0.0.1', port: tcpLog.port };
    // As Kong's spec: tcp-log on each route, its protocols listing tcp and tls.
    for (const route of ['tcp-route', 'tls-route']) {
      await created(`/routes/${route}/plugins`, {
        name: 'tcp-log',
        protocols: ['tcp', 'tls'],
        config: tcpLogConfig,
      });
    }
    await created('/routes/tcp-route/plugins', {
      name: 'file-log',
      protocols: ['tcp'],
      config: { path: join(dir, 'tcp.log') },
    });
    // A global file-log with the default (http) protocols: no stream route runs it.
    await created('/plugins', { name: 'file-log', config: { path: join(dir, 'http-only.log') } });
    // A global http-log for tcp only: the tcp route's sessions, not the tls route's.
    await created('/plugins', {
      name: 'http-log',
      protocols: ['tcp'],
      config: { http_endpoint: `http://127.0.0.1:${httpLog.port}/stream` },
    });
    await created('/routes/udp-route/plugins', {
      name: 'udp-log',
      protocols: ['udp'],
      config: { host: '127.0.0.1', port: udpLog.port },
    });
    // statsd's metrics are per request: on a stream route it is reported, not run.
    await created('/routes/tcp-route/plugins', {
      name: 'statsd',
      protocols: ['tcp'],
      config: { host: '127.0.0.1', port: udpLog.port },
    });
  });

  after(async () => {
    await node?.[Symbol.asyncDispose]();
    echo?.close();
    udpEcho?.socket.close();
    udpLog?.socket.close();
    await tcpLog?.close();
    await httpLog?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('tcp-log, file-log and a global http-log (protocols [tcp]) report tcp sessions as Kong does', async () => {
    // The configuration reaches the worker in its own time: until tcp-log's line for this port arrives.
    const forTcp = (r: StreamRecord) => r.session.server_port === plainPort;
    await eventually(
      async () => {
        assert.equal(await tcpSession(plainPort), MESSAGE, 'the echo came back whole');
        return tcpLog.records.some(forTcp) && httpLog.records.some(forTcp);
      },
      (ok) => ok,
    );
    const fromTcpLog = tcpLog.records.find(forTcp)!;
    assertKongStreamRecord(fromTcpLog, plainPort);
    assert.equal(fromTcpLog.session.tls, undefined, 'no TLS on a tcp session');
    assert.equal(fromTcpLog.route?.id, tcpRouteId);
    assert.equal(fromTcpLog.service?.name, 'echo');
    assert.equal(fromTcpLog.tries![0]!.port, echo.port);

    assertKongStreamRecord(httpLog.records.find(forTcp)!, plainPort);

    const lines = await eventually(
      async () => (await readFile(join(dir, 'tcp.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean),
      (l) => l.length > 0,
    );
    assertKongStreamRecord(JSON.parse(lines[0]!) as StreamRecord, plainPort);
  });

  it('tcp-log reports tls sessions with session.tls; the tcp-only http-log and the http file-log do not run', async () => {
    const forTls = (r: StreamRecord) => r.session.server_port === sslPort;
    await eventually(
      async () => {
        assert.equal(await tlsSession(sslPort), MESSAGE);
        return tcpLog.records.some(forTls);
      },
      (ok) => ok,
    );
    const record = tcpLog.records.find(forTls)!;
    assertKongStreamRecord(record, sslPort);
    const tls = record.session.tls as { version: unknown; cipher: unknown; client_verify: unknown };
    assert.equal(typeof tls.cipher, 'string');
    assert.ok((tls.cipher as string).length > 0);
    assert.equal(tls.client_verify, 'NONE');
    assert.match(String(tls.version), /^TLSv1\.[23]$/);
    assert.equal(record.route?.name, 'tls-route');

    // One more tcp session: once its http-log record arrives, the tls one would have too.
    const before = httpLog.records.length;
    await tcpSession(plainPort);
    await eventually(
      async () => httpLog.records.length,
      (n) => n > before,
    );
    assert.deepEqual(
      httpLog.records.filter(forTls),
      [],
      'the global http-log is for tcp only: no tls session record',
    );
    await assert.rejects(readFile(join(dir, 'http-only.log')), { code: 'ENOENT' });
  });

  it('udp-log reports a udp session when it ends (read_timeout)', async () => {
    const client = createSocket('udp4');
    const replies: Buffer[] = [];
    client.on('message', (m) => replies.push(m));
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    try {
      await eventually(
        async () => {
          client.send('ping', udpPort, '127.0.0.1');
          await new Promise((r) => setTimeout(r, 100));
          return replies.length;
        },
        (n) => n > 0,
      );
      const datagram = await eventually(
        async () => udpLog.got.map((b) => JSON.parse(b.toString()) as StreamRecord),
        (records) => records.some((r) => r.session.server_port === udpPort),
      );
      const record = datagram.find((r) => r.session.server_port === udpPort)!;
      assert.equal(record.session.status, 200);
      assert.equal(record.client_ip, '127.0.0.1');
      assert.equal(record.route?.name, 'udp-route');
      assert.equal(record.tries?.[0]?.port, udpEcho.port);
      // Every datagram this session sent and got back (the probes before the route synced got none).
      const received = replies.reduce((n, r) => n + r.length, 0);
      assert.equal(record.session.sent, received);
      assert.equal(record.upstream.received, received);
      assert.ok(record.session.received >= 4 && record.session.received % 4 === 0, JSON.stringify(record));
    } finally {
      client.close();
    }
  });

  it('reports a plugin that cannot run on streams (statsd) as a problem of the stream route', async () => {
    const line = await node.waitForLog(
      (l) => typeof l.message === 'string' && /'statsd' applies to stream route/.test(l.message),
      10_000,
    );
    assert.equal(line.routeId, tcpRouteId);
  });
});
