import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startWebSocketEchoUpstream } from '../helpers/upstream.ts';
import {
  closedPort,
  plainWithoutRequestId,
  rawRequest,
  route,
  send,
  service,
  statuses,
  withoutRequestId,
} from './proxy-fixtures.ts';
import { tlsTestProxy } from './proxy-tls-fixtures.ts';

const echoUpstream = startWebSocketEchoUpstream;

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { rejectUnauthorized: false });
  await once(ws, 'open');
  return ws;
}

async function roundTrip(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; binary: boolean }> {
  const answer = once(ws, 'message') as Promise<[Buffer, boolean]>;
  ws.send(data, { binary: typeof data !== 'string' });
  const [received, binary] = await answer;
  return { data: received, binary };
}

/** The status (and body) of a handshake the proxy does not switch. */
async function refused(url: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, { rejectUnauthorized: false });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk;
  // Aborting a handshake that never opened makes ws emit an error: that is the expected end here.
  ws.on('error', () => {});
  ws.terminate();
  return { status: res.statusCode ?? 0, body };
}

const HANDSHAKE =
  'Host: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

describe('WebSocket proxying', () => {
  it('relays text and binary messages both ways over ws, with the route path stripped', async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({
      services: [service(upstream.port)],
      routes: [route({ paths: ['/chat'] })],
    });
    const ws = await open(`ws://127.0.0.1:${proxy.port}/chat/room?x=1`);
    assert.deepEqual(await roundTrip(ws, 'hello'), { data: Buffer.from('hello'), binary: false });
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(await roundTrip(ws, bytes), { data: bytes, binary: true });
    ws.close();
    const seen = upstream.handshakes[0]!;
    assert.equal(seen.url, '/room?x=1');
    assert.equal(seen.headers.host, `127.0.0.1:${upstream.port}`);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-prefix'], '/chat');
    assert.equal(seen.headers['x-forwarded-path'], '/chat/room');
  });

  it("goes to a target of the service's Upstream when the service host names one", async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({
      services: [{ ...service(80), host: 'echo.upstream' }],
      routes: [route()],
      upstreams: [{ id: 'u', name: 'echo.upstream' }],
      targets: [{ id: 't', target: `127.0.0.1:${upstream.port}`, upstream: { id: 'u' } }],
    });
    const ws = await open(`ws://127.0.0.1:${proxy.port}/`);
    assert.equal((await roundTrip(ws, 'balanced')).data.toString(), 'balanced');
    ws.close();
    assert.equal(upstream.handshakes.length, 1);
  });

  it('relays messages over wss, and routes with only ws / wss protocols take handshakes', async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({
      services: [service(upstream.port)],
      routes: [route({ paths: ['/ws'], protocols: ['ws', 'wss'] })],
    });
    const ws = await open(`wss://127.0.0.1:${proxy.tlsPort}/ws`);
    assert.equal((await roundTrip(ws, 'secure')).data.toString(), 'secure');
    ws.close();
    assert.equal(upstream.handshakes[0]!.headers['x-forwarded-proto'], 'https');
    const plain = await open(`ws://127.0.0.1:${proxy.port}/ws`);
    plain.close();
  });

  it('answers a plain HTTP request to a ws-only route with 426', async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({
      services: [service(upstream.port)],
      routes: [route({ paths: ['/ws'], protocols: ['ws', 'wss'] })],
    });
    const res = await send(proxy.port, '/ws');
    assert.equal(res.status, 426);
    assert.equal(res.headers.upgrade, 'websocket');
    assert.deepEqual(withoutRequestId(JSON.parse(res.body)), { message: 'Please use WebSocket protocol' });
  });

  it('answers a handshake over http to a wss-only route with 426', async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({
      services: [service(upstream.port)],
      routes: [route({ protocols: ['wss'] })],
    });
    assert.equal((await refused(`ws://127.0.0.1:${proxy.port}/`)).status, 426);
    (await open(`wss://127.0.0.1:${proxy.tlsPort}/`)).close();
  });

  it("answers a handshake no route takes with Kong's 404", async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({
      services: [service(upstream.port)],
      routes: [route({ paths: ['/chat'] })],
    });
    const answer = await refused(`ws://127.0.0.1:${proxy.port}/elsewhere`);
    assert.equal(answer.status, 404);
    assert.deepEqual(withoutRequestId(JSON.parse(answer.body)), {
      message: 'no Route matched with those values',
    });
    assert.equal(upstream.handshakes.length, 0);
  });

  it("answers a handshake to a route without a service with Kong's 503, and sends Via upstream", async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({
      services: [service(upstream.port)],
      routes: [route({ paths: ['/chat'] }), route({ id: 'lonely', paths: ['/lonely'], service: null })],
    });
    const answer = await refused(`ws://127.0.0.1:${proxy.port}/lonely`);
    assert.equal(answer.status, 503);
    assert.deepEqual(withoutRequestId(JSON.parse(answer.body)), {
      message: 'no Service found with those values',
    });
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/chat`, { headers: { via: '1.1 dev' } });
    await once(ws, 'open');
    ws.close();
    assert.match(String(upstream.handshakes[0]?.headers.via), /^1\.1 dev, 1\.1 turnpike\/\d+\.\d+\.\d+/);
  });

  it("relays an upstream's refusal of the handshake and closes", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(403, { 'x-why': 'not allowed' });
      res.end('forbidden');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await using proxy = await tlsTestProxy({
        services: [service((server.address() as { port: number }).port)],
        routes: [route()],
      });
      const answer = await refused(`ws://127.0.0.1:${proxy.port}/`);
      assert.deepEqual(answer, { status: 403, body: 'forbidden' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("answers Kong's 502 when the upstream cannot be reached", async () => {
    await using proxy = await tlsTestProxy({
      services: [service(await closedPort(), { retries: 0 })],
      routes: [route()],
    });
    const answer = await refused(`ws://127.0.0.1:${proxy.port}/`);
    assert.equal(answer.status, 502);
    // A handshake carries no Accept: Kong's error_default_type, text/plain, applies.
    assert.equal(
      plainWithoutRequestId(answer.body),
      'An invalid response was received from the upstream server\n',
    );
  });

  it('refuses malformed handshakes before routing them', async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({ services: [service(upstream.port)], routes: [route()] });
    const noKey = HANDSHAKE.replace(/Sec-WebSocket-Key: .*\r\n/, '');
    assert.deepEqual(statuses(await rawRequest(proxy.port, `GET / HTTP/1.1\r\n${noKey}\r\n`)), [400]);
    const shortKey = HANDSHAKE.replace(/Sec-WebSocket-Key: .*\r\n/, 'Sec-WebSocket-Key: abc\r\n');
    assert.deepEqual(statuses(await rawRequest(proxy.port, `GET / HTTP/1.1\r\n${shortKey}\r\n`)), [400]);
    assert.deepEqual(statuses(await rawRequest(proxy.port, `POST / HTTP/1.1\r\n${HANDSHAKE}\r\n`)), [405]);
    const withBody = `GET / HTTP/1.1\r\n${HANDSHAKE}Content-Length: 2\r\n\r\nhi`;
    assert.deepEqual(statuses(await rawRequest(proxy.port, withBody)), [400]);
    const absolute = `GET http://x/ HTTP/1.1\r\n${HANDSHAKE}\r\n`;
    assert.deepEqual(statuses(await rawRequest(proxy.port, absolute)), [400]);
    assert.equal(upstream.handshakes.length, 0);
  });

  it('applies the header limits to handshakes', async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({ services: [service(upstream.port)], routes: [route()] });
    const many = Array.from({ length: 150 }, (_, i) => `X-H${i}: v\r\n`).join('');
    assert.deepEqual(
      statuses(await rawRequest(proxy.port, `GET / HTTP/1.1\r\n${HANDSHAKE}${many}\r\n`)),
      [431],
    );
    assert.equal(upstream.handshakes.length, 0);
  });

  it('proxies other upgrades as plain requests without their Upgrade header', async () => {
    await using upstream = await echoUpstream();
    await using proxy = await tlsTestProxy({ services: [service(upstream.port)], routes: [route()] });
    const res = await send(proxy.port, '/', { Connection: 'Upgrade', Upgrade: 'h2c' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'plain');
  });

  it('closes open tunnels when the proxy stops', async () => {
    await using upstream = await echoUpstream();
    const proxy = await tlsTestProxy({ services: [service(upstream.port)], routes: [route()] });
    const ws = await open(`ws://127.0.0.1:${proxy.port}/`);
    const closed = once(ws, 'close');
    await proxy[Symbol.asyncDispose]();
    await closed;
  });
});
