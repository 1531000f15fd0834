/**
 * Kong 3.10 Admin API behaviours as a user meets them on one `turnpike start` (traditional,
 * embedded datastore): a plugin PATCHed off and on keeps its config and still authenticates
 * through the proxy, key-auth answers in Kong's words, and the Admin API introduces itself
 * (Server, OPTIONS, `GET /` plugins, `/status` connections) over real sockets.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TURNPIKE_VERSION } from '@turnpike/shared';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type EchoUpstream, startEchoUpstream } from '../helpers/upstream.ts';

let upstream: EchoUpstream;
let node: RunningTurnpike;
let admin: string;
let proxy: string;
before(async () => {
  upstream = await startEchoUpstream('shop');
  const [adminPort, proxyPort, status] = [await freePort(), await freePort(), await freePort()];
  node = await startTurnpike({
    env: {
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
    },
  });
  admin = `http://127.0.0.1:${adminPort}`;
  proxy = `http://127.0.0.1:${proxyPort}`;
});
after(async () => {
  await node?.[Symbol.asyncDispose]();
  await upstream?.[Symbol.asyncDispose]();
});

describe('key-auth PATCHed off and on through the Admin API, seen through the proxy', () => {
  it('keeps its key_names and other config, and lets a valid key through again', async () => {
    assert.equal((await http('POST', `${admin}/services`, { name: 'shop', url: upstream.url })).status, 201);
    assert.equal((await http('POST', `${admin}/services/shop/routes`, { paths: ['/shop'] })).status, 201);
    const plugin = await http('POST', `${admin}/services/shop/plugins`, {
      name: 'key-auth',
      config: { key_names: ['x-shop-key'] },
    });
    assert.equal(plugin.status, 201, plugin.text);
    const { id } = plugin.body as { id: string };
    await http('POST', `${admin}/consumers`, { username: 'buyer' });
    assert.equal((await http('POST', `${admin}/consumers/buyer/key-auth`, { key: 'buyer-key' })).status, 201);
    const withKey = () => http('GET', `${proxy}/shop/items`, undefined, { 'x-shop-key': 'buyer-key' });

    // Kong 3.10's words: a bare `Key` challenge, `Unauthorized` for an unknown key.
    const wrong = await eventually(
      () => http('GET', `${proxy}/shop/items`, undefined, { 'x-shop-key': 'nope' }),
      (r) => r.status === 401,
    );
    assert.deepEqual(wrong.body, { message: 'Unauthorized' });
    assert.equal(wrong.headers.get('www-authenticate'), 'Key');
    assert.equal((await eventually(withKey, (r) => r.status === 200)).status, 200);

    const off = await http('PATCH', `${admin}/plugins/${id}`, {
      enabled: false,
      config: { hide_credentials: true },
    });
    assert.equal(off.status, 200, off.text);
    const config = (off.body as { config: Record<string, unknown> }).config;
    assert.deepEqual(config.key_names, ['x-shop-key'], 'the partial config merged into the stored one');
    assert.equal(config.key_in_header, true, 'defaults kept');
    const open = await eventually(
      () => http('GET', `${proxy}/shop/open`),
      (r) => r.status === 200,
    );
    assert.equal(open.status, 200);

    const on = await http('PATCH', `${admin}/services/shop/plugins/${id}`, {
      enabled: true,
      config: { realm: 'shop' },
    });
    assert.equal(on.status, 200, on.text);
    const refused = await eventually(
      () => http('GET', `${proxy}/shop/items`),
      (r) => r.status === 401,
    );
    assert.deepEqual(refused.body, { message: 'No API key found in request' });
    assert.equal(refused.headers.get('www-authenticate'), 'Key realm="shop"');
    const seen = upstream.received.length;
    assert.equal((await withKey()).status, 200, 'a valid key is accepted again');
    assert.equal(upstream.received.length, seen + 1);
    assert.equal(
      upstream.received.at(-1)?.headers['x-shop-key'],
      undefined,
      'hide_credentials still applies',
    );
  });
});

describe('the Admin API introduces itself as Kong does', () => {
  it('sends Server and X-Kong-Admin-Latency on every answer, errors included', async () => {
    for (const path of ['/', '/services/nope', '/no-such-path']) {
      const res = await http('GET', `${admin}${path}`);
      assert.equal(res.headers.get('server'), `turnpike/${TURNPIKE_VERSION}`, path);
      assert.match(res.headers.get('x-kong-admin-latency') ?? '', /^\d+$/, path);
    }
  });

  it("answers OPTIONS with 204 and Kong's Allow headers", async () => {
    const res = await fetch(`${admin}/consumers/buyer`, {
      method: 'OPTIONS',
      headers: { 'access-control-request-headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    assert.equal(res.headers.get('access-control-allow-methods'), 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    assert.equal(res.headers.get('access-control-allow-headers'), 'content-type');
  });

  it('lists every bundled plugin on the server with its version and priority', async () => {
    const root = await http('GET', `${admin}/`);
    const available = (root.body as { plugins: { available_on_server: Record<string, unknown> } }).plugins
      .available_on_server;
    for (const [name, priority] of Object.entries({
      jwt: 1450,
      'key-auth': 1250,
      'basic-auth': 1100,
      acl: 950,
      'rate-limiting': 910,
    })) {
      assert.deepEqual(Object.keys(available[name] as object).sort(), ['priority', 'version'], name);
      assert.equal((available[name] as { priority: number }).priority, priority, name);
    }
  });

  it("counts the Admin listener's connections in /status as nginx's stub_status does", async () => {
    const idle = connect(Number(new URL(admin).port), '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    try {
      const status = await eventually(
        () => http('GET', `${admin}/status`),
        (r) => (r.body as { server: { connections_waiting: number } }).server.connections_waiting >= 1,
      );
      const server = (status.body as { server: Record<string, number> }).server;
      assert.deepEqual(Object.keys(server).sort(), [
        'connections_accepted',
        'connections_active',
        'connections_handled',
        'connections_reading',
        'connections_waiting',
        'connections_writing',
        'total_requests',
      ]);
      assert.ok(server.connections_writing! >= 1, 'the /status request itself');
      assert.equal(
        server.connections_active,
        server.connections_reading! + server.connections_writing! + server.connections_waiting!,
      );
      assert.ok(server.connections_accepted! >= server.connections_active!);
      assert.ok(server.total_requests! > 10, 'every request so far');
    } finally {
      idle.destroy();
    }
  });
});
