// GET /status counts the connections of real admin listeners (plain and TLS) over 127.0.0.1.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { listenHttp } from '../http-listener.ts';
import { type ConnectionCounts, ConnectionStats } from './connections.ts';
import { buildBareAdminApi } from './testing/fixture.ts';

const entry = (ssl: boolean) => ({
  host: '127.0.0.1',
  port: 0,
  ssl,
  http2: false,
  reuseport: false,
  proxyProtocol: false,
});

/** Resolves once `check` holds for the counters (the server sees a socket after the client does). */
async function until(stats: ConnectionStats, check: (c: ConnectionCounts) => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(stats.counts()); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(stats.counts()), JSON.stringify(stats.counts()));
}

/** One request on `socket`, read to the end of its body (the answers here have a content-length); the socket stays open. */
function exchange(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += String(chunk);
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (head === -1 || length === undefined || text.length < head + 4 + Number(length)) return;
      socket.off('data', onData).off('error', reject);
      resolve(text);
    };
    socket.on('data', onData).once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: admin\r\n\r\n`);
  });
}

describe('GET /status on the admin listeners', () => {
  let app: FastifyInstance;
  let stats: ConnectionStats;
  let plain: Server;
  let tls: Server;
  const sockets: Socket[] = [];
  before(async () => {
    stats = new ConnectionStats();
    // /status reads the config version and no entity.
    app = buildBareAdminApi({ connections: stats, configVersion: 7 });
    await app.ready();
    const handler = app.routing.bind(app);
    plain = await listenHttp(entry(false), { certs: [], keys: [] }, handler);
    tls = await listenHttp(entry(true), { certs: [], keys: [] }, handler);
    stats.track(plain);
    stats.track(tls);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    plain.close();
    tls.close();
    await app.close();
  });

  const port = (server: Server) => (server.address() as { port: number }).port;
  async function open(): Promise<Socket> {
    const socket = connect(port(plain), '127.0.0.1');
    sockets.push(socket);
    await once(socket, 'connect');
    return socket;
  }

  it('tells idle, reading and writing connections apart, and counts accepts and requests', async () => {
    const idle = await open();
    const partial = await open();
    partial.write('GET /status HTTP/1.1\r\nHost: adm');
    const kept = await open();
    assert.match(await exchange(kept, '/endpoints'), /^HTTP\/1\.1 200/);
    const secure = tlsConnect({ port: port(tls), host: '127.0.0.1', rejectUnauthorized: false });
    sockets.push(secure);
    await once(secure, 'secureConnect');
    await until(stats, (c) => c.connections_active === 4 && c.connections_reading === 1);

    const asker = await open();
    const answer = await exchange(asker, '/status');
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
      server: ConnectionCounts;
      config_version: number;
    };
    assert.equal(body.config_version, 7);
    assert.deepEqual(body.server, {
      connections_accepted: 5,
      connections_handled: 5,
      connections_active: 5,
      // The half-sent request.
      connections_reading: 1,
      // This request itself, as nginx's stub_status counts it.
      connections_writing: 1,
      // The silent socket, the kept-alive one after its answer, and the idle TLS connection.
      connections_waiting: 3,
      total_requests: 2,
    });

    // A request half-sent over TLS reads too; closed sockets leave the counts.
    secure.write('GET / HTTP/1.1\r\n');
    await until(stats, (c) => c.connections_reading === 2);
    partial.destroy();
    idle.destroy();
    await until(stats, (c) => c.connections_active === 3 && c.connections_reading === 1);
    assert.equal(stats.counts().connections_accepted, 5);
  });
});
