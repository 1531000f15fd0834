/**
 * The authentication plugins end to end: a proxy in this process serving entities written
 * through the control plane's DAO and synced as a snapshot (plugin-fixtures.ts), real sockets to
 * a recording upstream; and the Admin API of one `turnpike start` accepting them.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { definePluginHandler, type PluginHandler } from '@turnpike/plugin-sdk';
import { WebSocket } from 'ws';
import { freePort } from '../helpers/free-port.ts';
import { http } from '../helpers/http.ts';
import { startTurnpike } from '../helpers/turnpike.ts';
import { startWebSocketEchoUpstream, type WebSocketEchoUpstream } from '../helpers/upstream.ts';
import { bundledPlugins, type PluginProxy, plugin, pluginProxy } from './plugin-fixtures.ts';
import { type RecordingUpstream, recordingUpstream, send } from './proxy-fixtures.ts';

const ids = {
  service: '00000000-0000-4000-8000-000000000001',
  open: '00000000-0000-4000-8000-0000000000a0',
  key: '00000000-0000-4000-8000-0000000000a1',
  hidden: '00000000-0000-4000-8000-0000000000a2',
  basic: '00000000-0000-4000-8000-0000000000a3',
  admins: '00000000-0000-4000-8000-0000000000a4',
  ops: '00000000-0000-4000-8000-0000000000a5',
  jwt: '00000000-0000-4000-8000-0000000000a6',
  jwtRealm: '00000000-0000-4000-8000-0000000000a7',
  keyRealm: '00000000-0000-4000-8000-0000000000a8',
  alice: '00000000-0000-4000-8000-0000000000c1',
  wsService: '00000000-0000-4000-8000-000000000002',
  wsKey: '00000000-0000-4000-8000-0000000000b1',
  wsOps: '00000000-0000-4000-8000-0000000000b2',
  wsHidden: '00000000-0000-4000-8000-0000000000b3',
};

function route(id: string, path: string, service = ids.service) {
  return { id, paths: [path], service: { id: service } };
}

function hs256(claims: Record<string, unknown>, secret: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const echoUpstream = startWebSocketEchoUpstream;

async function openWebSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  await once(ws, 'open');
  return ws;
}

async function echoed(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; binary: boolean }> {
  const answer = once(ws, 'message') as Promise<[Buffer, boolean]>;
  ws.send(data, { binary: typeof data !== 'string' });
  const [received, binary] = await answer;
  return { data: received, binary };
}

/** The answer to a handshake the proxy does not switch: status, headers and body. */
async function refusedHandshake(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const ws = new WebSocket(url, { headers });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    ws.once('unexpected-response', (_req, response) => resolve(response));
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`the handshake to ${url} was switched`));
    });
  });
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk;
  // Aborting a handshake that never opened makes ws emit an error: that is the expected end here.
  ws.on('error', () => {});
  ws.terminate();
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

/** A plugin whose log phase reports the status each request was answered with. */
function statusLogger(logged: (status: number) => void): PluginHandler {
  return definePluginHandler({
    name: 'status-logger',
    version: '1.0.0',
    priority: 1,
    log(ctx) {
      logged(ctx.response.status);
    },
  });
}

describe('authentication plugins through the proxy', () => {
  let upstream: RecordingUpstream;
  let wsUpstream: WebSocketEchoUpstream;
  /** Statuses the status-logger plugin logged on the /ws-key route, and who waits for the next. */
  const logged: number[] = [];
  let onLogged: (() => void) | undefined;
  let proxy: PluginProxy;
  let port: number;

  before(async () => {
    const plugins = await bundledPlugins();
    upstream = await recordingUpstream();
    wsUpstream = await echoUpstream();
    const entities = {
      services: [
        { id: ids.service, protocol: 'http', host: '127.0.0.1', port: upstream.port },
        { id: ids.wsService, protocol: 'http', host: '127.0.0.1', port: wsUpstream.port },
      ],
      routes: [
        route(ids.open, '/open'),
        route(ids.key, '/key'),
        route(ids.hidden, '/hidden'),
        route(ids.basic, '/basic'),
        route(ids.admins, '/admins'),
        route(ids.ops, '/ops'),
        route(ids.jwt, '/jwt'),
        route(ids.jwtRealm, '/jwt-realm'),
        route(ids.keyRealm, '/key-realm'),
        route(ids.wsKey, '/ws-key', ids.wsService),
        route(ids.wsOps, '/ws-ops', ids.wsService),
        route(ids.wsHidden, '/ws-hidden', ids.wsService),
      ],
      consumers: [{ id: ids.alice, username: 'alice', custom_id: 'alice-1' }],
      keyauth_credentials: [{ id: crypto.randomUUID(), key: 'alice-key', consumer: { id: ids.alice } }],
      // The DAO keeps an scrypt hash of the password, as Kong does.
      basicauth_credentials: [
        { id: crypto.randomUUID(), username: 'alice', password: 'open-sesame', consumer: { id: ids.alice } },
      ],
      jwt_secrets: [
        { id: crypto.randomUUID(), key: 'alice-iss', secret: 'alice-secret', consumer: { id: ids.alice } },
      ],
      acls: [{ id: crypto.randomUUID(), group: 'admin', consumer: { id: ids.alice } }],
      plugins: [
        plugin('key-auth', ids.key),
        plugin('key-auth', ids.hidden, { hide_credentials: true }),
        plugin('basic-auth', ids.basic),
        plugin('key-auth', ids.admins),
        plugin('acl', ids.admins, { allow: ['admin'] }),
        plugin('key-auth', ids.ops),
        plugin('acl', ids.ops, { deny: ['admin'] }),
        plugin('jwt', ids.jwt, { claims_to_verify: ['exp'] }),
        plugin('jwt', ids.jwtRealm, { realm: 'test-jwt' }),
        plugin('key-auth', ids.keyRealm, { realm: 'test-key' }),
        plugin('key-auth', ids.wsKey),
        plugin('key-auth', ids.wsOps),
        plugin('acl', ids.wsOps, { deny: ['admin'] }),
        plugin('key-auth', ids.wsHidden, { hide_credentials: true }),
        // A test plugin: the fixture gives it a schema that takes no configuration.
        plugin('status-logger', ids.wsKey),
      ],
    };
    const extra = new Map([
      [
        'status-logger',
        statusLogger((status) => {
          logged.push(status);
          onLogged?.();
        }),
      ],
    ]);
    proxy = await pluginProxy(plugins, entities, extra);
    assert.equal(proxy.runtime.chains.has(ids.open), false);
    port = proxy.port;
  });

  after(async () => {
    await proxy?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
    await wsUpstream?.[Symbol.asyncDispose]();
  });

  /** Resolves once the status-logger plugin logged `count` requests in all. */
  async function loggedCount(count: number): Promise<number[]> {
    while (logged.length < count) await new Promise<void>((resolve) => (onLogged = resolve));
    return logged.slice(0, count);
  }

  it('leaves a route without plugins unaffected', async () => {
    const r = await send(port, '/open/x');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).headers['x-consumer-id'], undefined);
  });

  it('answers 401 without a key and with a wrong key, without calling the service', async () => {
    const before = upstream.received.length;
    const none = await send(port, '/key');
    assert.equal(none.status, 401);
    assert.deepEqual(JSON.parse(none.body), { message: 'No API key found in request' });
    assert.equal(none.headers['www-authenticate'], 'Key');
    assert.match(none.headers['content-type'] ?? '', /application\/json/);
    const wrong = await send(port, '/key', { apikey: 'nope' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(JSON.parse(wrong.body), { message: 'Unauthorized' });
    assert.equal(upstream.received.length, before);
  });

  it('proxies a request with a valid key and names the consumer to the service', async () => {
    const r = await send(port, '/key/x?apikey=alice-key');
    assert.equal(r.status, 200);
    const seen = upstream.received.at(-1)!;
    assert.equal(seen.headers['x-consumer-id'], ids.alice);
    assert.equal(seen.headers['x-consumer-username'], 'alice');
    assert.equal(seen.headers['x-consumer-custom-id'], 'alice-1');
    assert.ok(seen.headers['x-credential-identifier']);
    assert.equal(seen.url, '/x?apikey=alice-key');
  });

  it('hides the key from the service with hide_credentials', async () => {
    const query = await send(port, '/hidden/x?apikey=alice-key&keep=1');
    assert.equal(query.status, 200);
    assert.equal(upstream.received.at(-1)!.url, '/x?keep=1');
    const header = await send(port, '/hidden/x', { apikey: 'alice-key' });
    assert.equal(header.status, 200);
    assert.equal(upstream.received.at(-1)!.headers.apikey, undefined);
  });

  it('authenticates basic-auth against the stored hash', async () => {
    const basic = (p: string) => ({ authorization: `Basic ${Buffer.from(`alice:${p}`).toString('base64')}` });
    const none = await send(port, '/basic');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="service"');
    assert.equal((await send(port, '/basic', basic('wrong'))).status, 401);
    const ok = await send(port, '/basic', basic('open-sesame'));
    assert.equal(ok.status, 200);
    assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'alice');
  });

  it('lets acl allow and deny by group after key-auth', async () => {
    const allowed = await send(port, '/admins', { apikey: 'alice-key' });
    assert.equal(allowed.status, 200);
    assert.equal(upstream.received.at(-1)!.headers['x-consumer-groups'], 'admin');
    const denied = await send(port, '/ops', { apikey: 'alice-key' });
    assert.equal(denied.status, 403);
    assert.deepEqual(JSON.parse(denied.body), { message: 'You cannot consume this service' });
  });

  it('answers a WebSocket handshake without a key with 401 and never lets it reach the service', async () => {
    const before = wsUpstream.handshakes.length;
    const none = await refusedHandshake(`ws://127.0.0.1:${port}/ws-key`);
    assert.equal(none.status, 401);
    assert.deepEqual(JSON.parse(none.body), { message: 'No API key found in request' });
    assert.equal(none.headers['www-authenticate'], 'Key');
    assert.match(none.headers['content-type'] ?? '', /application\/json/);
    assert.equal(none.headers.connection, 'close');
    const wrong = await refusedHandshake(`ws://127.0.0.1:${port}/ws-key`, { apikey: 'nope' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(JSON.parse(wrong.body), { message: 'Unauthorized' });
    assert.equal(wsUpstream.handshakes.length, before);
  });

  it('proxies a WebSocket handshake with a valid key both ways and names the consumer upstream', async () => {
    const ws = await openWebSocket(`ws://127.0.0.1:${port}/ws-key/room?apikey=alice-key`);
    assert.deepEqual(await echoed(ws, 'hello'), { data: Buffer.from('hello'), binary: false });
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(await echoed(ws, bytes), { data: bytes, binary: true });
    ws.close();
    const seen = wsUpstream.handshakes.at(-1)!;
    assert.equal(seen.url, '/room?apikey=alice-key');
    assert.equal(seen.headers['x-consumer-username'], 'alice');
    assert.equal(seen.headers['x-consumer-id'], ids.alice);
    assert.equal(seen.headers.upgrade, 'websocket');
  });

  it('hides the key of a WebSocket handshake from the service with hide_credentials', async () => {
    const query = await openWebSocket(`ws://127.0.0.1:${port}/ws-hidden/x?apikey=alice-key&keep=1`);
    query.close();
    assert.equal(wsUpstream.handshakes.at(-1)!.url, '/x?keep=1');
    const header = await openWebSocket(`ws://127.0.0.1:${port}/ws-hidden/x`, { apikey: 'alice-key' });
    header.close();
    const seen = wsUpstream.handshakes.at(-1)!;
    assert.equal(seen.headers.apikey, undefined);
    assert.equal(seen.headers['x-consumer-username'], 'alice');
  });

  it('answers 403 to a WebSocket handshake of a consumer the acl denies', async () => {
    const before = wsUpstream.handshakes.length;
    const denied = await refusedHandshake(`ws://127.0.0.1:${port}/ws-ops`, { apikey: 'alice-key' });
    assert.equal(denied.status, 403);
    assert.deepEqual(JSON.parse(denied.body), { message: 'You cannot consume this service' });
    assert.equal(wsUpstream.handshakes.length, before);
  });

  it('runs the log phase of a WebSocket handshake once its refusal or its tunnel closed', async () => {
    const start = logged.length;
    await refusedHandshake(`ws://127.0.0.1:${port}/ws-key`);
    assert.deepEqual((await loggedCount(start + 1)).slice(start), [401]);
    const ws = await openWebSocket(`ws://127.0.0.1:${port}/ws-key`, { apikey: 'alice-key' });
    assert.equal((await echoed(ws, 'still open')).data.toString(), 'still open');
    // The tunnel is open and has carried messages: nothing logged for it yet.
    assert.equal(logged.length, start + 1);
    ws.close();
    assert.deepEqual((await loggedCount(start + 2)).slice(start), [401, 101]);
  });

  it('accepts a valid HS256 jwt and refuses an expired one or a bad signature', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const valid = await send(
      port,
      '/jwt',
      bearer(hs256({ iss: 'alice-iss', exp: now + 60 }, 'alice-secret')),
    );
    assert.equal(valid.status, 200);
    assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'alice');
    const expired = await send(
      port,
      '/jwt',
      bearer(hs256({ iss: 'alice-iss', exp: now - 60 }, 'alice-secret')),
    );
    assert.deepEqual([expired.status, JSON.parse(expired.body)], [401, { exp: 'token expired' }]);
    const forged = await send(port, '/jwt', bearer(hs256({ iss: 'alice-iss', exp: now + 60 }, 'guess')));
    assert.deepEqual([forged.status, JSON.parse(forged.body)], [401, { message: 'Invalid signature' }]);
    assert.equal(forged.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.equal((await send(port, '/jwt')).headers['www-authenticate'], 'Bearer');
  });

  it("names the realm in jwt's and key-auth's WWW-Authenticate as Kong 3.10", async () => {
    const none = await send(port, '/jwt-realm');
    assert.deepEqual([none.status, none.headers['www-authenticate']], [401, 'Bearer realm="test-jwt"']);
    const bad = await send(port, '/jwt-realm', {
      authorization: `Bearer ${hs256({ iss: 'alice-iss' }, 'guess')}`,
    });
    assert.equal(bad.headers['www-authenticate'], 'Bearer realm="test-jwt", error="invalid_token"');
    const key = await send(port, '/key-realm', { apikey: 'nope' });
    assert.deepEqual([key.status, key.headers['www-authenticate']], [401, 'Key realm="test-key"']);
  });
});

describe('plugins on the Admin API of turnpike start', () => {
  it('accepts key-auth on a service and refuses an unknown plugin with Kong message', async () => {
    const [admin, proxyPort, status] = [await freePort(), await freePort(), await freePort()];
    await using _node = await startTurnpike({
      env: {
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      },
    });
    const adminUrl = `http://127.0.0.1:${admin}`;
    const root = await http('GET', `${adminUrl}/`);
    const available = (root.body as { plugins: { available_on_server: Record<string, unknown> } }).plugins
      .available_on_server;
    assert.ok('key-auth' in available && 'jwt' in available, JSON.stringify(available));
    assert.equal(
      (await http('POST', `${adminUrl}/services`, { name: 's', url: 'http://127.0.0.1:9' })).status,
      201,
    );
    const created = await http('POST', `${adminUrl}/services/s/plugins`, { name: 'key-auth' });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual((created.body as { config: { key_names: string[] } }).config.key_names, ['apikey']);
    const unknown = await http('POST', `${adminUrl}/services/s/plugins`, { name: 'no-such-plugin' });
    assert.equal(unknown.status, 400);
    assert.deepEqual((unknown.body as { fields: unknown }).fields, {
      name: "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property",
    });
  });
});
