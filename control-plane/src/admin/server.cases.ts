import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type OpenTestAdmin, openTestAdmin, type TestAdmin } from './testing/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>;

/** The suite, run against each datastore by the *.test.ts files beside it. */
export function serverCases(open: OpenTestAdmin): void {
  let t: TestAdmin;
  before(async () => {
    t = await open({ pg_password: 'pg-secret-value', secrets_default: ['dao-secret-value'] });
  });
  after(() => t[Symbol.asyncDispose]());

  async function call(method: string, url: string, payload?: Json) {
    const res = await t.app.inject({
      method: method as 'GET',
      url,
      ...(payload === undefined ? {} : { payload }),
    });
    return { status: res.statusCode, body: (res.body === '' ? undefined : res.json()) as Json };
  }

  describe('nested endpoints', () => {
    test('routes are created and listed under their service, addressed by the service name', async () => {
      const svc = await call('POST', '/services', { name: 'nest-svc', url: 'http://a.test' });
      const route = await call('POST', '/services/nest-svc/routes', { name: 'nest-route', paths: ['/n'] });
      assert.equal(route.status, 201);
      assert.deepEqual(route.body.service, { id: svc.body.id });
      const list = await call('GET', '/services/nest-svc/routes');
      assert.deepEqual(
        list.body.data.map((r: Json) => r.name),
        ['nest-route'],
      );
      assert.equal(list.body.next, null);
      assert.equal((await call('GET', '/services/nest-svc/routes/nest-route')).body.id, route.body.id);
      assert.equal((await call('GET', '/routes/nest-route/service')).body.id, svc.body.id);
    });

    test('a child asked for under another parent is 404, and a missing parent is 404', async () => {
      await call('POST', '/services', { name: 'other-svc', url: 'http://b.test' });
      assert.equal((await call('GET', '/services/other-svc/routes/nest-route')).status, 404);
      assert.equal((await call('GET', '/services/no-such-svc/routes')).status, 404);
      assert.equal((await call('POST', '/services/no-such-svc/routes', { paths: ['/x'] })).status, 404);
    });

    test('credentials and plugins are created under a consumer', async () => {
      const consumer = await call('POST', '/consumers', { username: 'cred-owner' });
      const key = await call('POST', '/consumers/cred-owner/key-auth', { key: 'k-123' });
      assert.equal(key.status, 201);
      assert.deepEqual(key.body.consumer, { id: consumer.body.id });
      const acl = await call('POST', '/consumers/cred-owner/acls', { group: 'admins' });
      assert.equal(acl.status, 201);
      const plugin = await call('POST', '/consumers/cred-owner/plugins', {
        name: 'rate-limiting',
        config: { hour: 10 },
      });
      assert.equal(plugin.status, 201);
      assert.equal((await call('GET', '/consumers/cred-owner/key-auth')).body.data.length, 1);
      assert.equal((await call('GET', `/key-auths/${key.body.id}/consumer`)).body.username, 'cred-owner');
    });

    test('deleting a consumer deletes its credentials too, visibly through the API', async () => {
      await call('POST', '/consumers', { username: 'cascade-owner' });
      const key = await call('POST', '/consumers/cascade-owner/key-auth', { key: 'k-cascade' });
      assert.equal((await call('DELETE', '/consumers/cascade-owner')).status, 204);
      assert.equal((await call('GET', `/key-auths/${key.body.id}`)).status, 404);
      assert.equal((await call('GET', '/consumers/cascade-owner/key-auth')).status, 404);
    });

    test('targets are created and listed under their upstream', async () => {
      await call('POST', '/upstreams', { name: 'up.test' });
      const target = await call('POST', '/upstreams/up.test/targets', { target: '10.0.0.1:8080' });
      assert.equal(target.status, 201);
      assert.equal((await call('GET', '/upstreams/up.test/targets')).body.data.length, 1);
    });
  });

  describe('information endpoints', () => {
    test('GET / shows the node and its configuration with every secret removed', async () => {
      const res = await call('GET', '/');
      assert.equal(res.status, 200);
      assert.equal(res.body.node_id, '6f1c2b0e-8d4b-4d0a-9a57-3f1f4c1f0e11');
      assert.equal(res.body.hostname, 'test-node');
      assert.equal(typeof res.body.version, 'string');
      assert.deepEqual(Object.keys(res.body.plugins.available_on_server).sort(), [
        'key-auth',
        'rate-limiting',
      ]);
      assert.ok(Array.isArray(res.body.plugins.enabled_in_cluster));
      const text = JSON.stringify(res.body);
      assert.equal(text.includes('pg-secret-value'), false);
      assert.equal(text.includes('dao-secret-value'), false);
      assert.equal(res.body.configuration.pg_password, '******');
    });

    test('GET /status reports the database as reachable and the config version', async () => {
      const res = await call('GET', '/status');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.database, { reachable: true });
      assert.equal(typeof res.body.config_version, 'number');
      assert.equal(typeof res.body.server.total_requests, 'number');
    });

    test('GET /plugins/enabled lists the plugins this node runs', async () => {
      assert.deepEqual((await call('GET', '/plugins/enabled')).body, {
        enabled_plugins: ['rate-limiting', 'key-auth'],
      });
    });

    test('GET /endpoints lists the generated paths in Kong notation', async () => {
      const { data } = (await call('GET', '/endpoints')).body;
      for (const path of [
        '/',
        '/services',
        '/services/{services}',
        '/services/{services}/routes',
        '/routes/{routes}/service',
      ])
        assert.ok(data.includes(path), path);
      assert.ok(data.includes('/consumers/{consumers}/key-auth/{keyauth_credentials}'));
      assert.equal(data.includes('/targets'), false);
    });

    test('/openapi.json is an OpenAPI 3 document with the entity paths', async () => {
      const res = await call('GET', '/openapi.json');
      assert.equal(res.status, 200);
      assert.match(res.body.openapi, /^3\./);
      assert.ok(res.body.paths['/services']?.post);
      assert.ok(res.body.paths['/services/{id}']?.get);
      assert.ok(res.body.paths['/services/{parent}/routes']?.get);
    });
  });

  describe('schema endpoints', () => {
    test('GET /schemas/{entity} returns the fields, and an unknown entity is 404', async () => {
      const res = await call('GET', '/schemas/services');
      assert.equal(res.status, 200);
      assert.ok(res.body.fields.some((f: Json) => 'host' in f));
      assert.deepEqual(await call('GET', '/schemas/nothing'), {
        status: 404,
        body: { message: "No entity named 'nothing'" },
      });
    });

    test('GET /schemas/plugins/{name} returns the plugin schema, and an unknown plugin is 404', async () => {
      assert.equal((await call('GET', '/schemas/plugins/rate-limiting')).status, 200);
      assert.deepEqual(await call('GET', '/schemas/plugins/nope'), {
        status: 404,
        body: { message: "No plugin named 'nope'" },
      });
    });

    test('validate endpoints accept a valid body and answer a schema violation for an invalid one', async () => {
      assert.deepEqual(await call('POST', '/schemas/services/validate', { host: 'a.test' }), {
        status: 200,
        body: { message: 'schema validation successful' },
      });
      const bad = await call('POST', '/schemas/services/validate', { port: 'x' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 2);
      assert.equal(
        (await call('POST', '/schemas/plugins/validate', { name: 'rate-limiting', config: { minute: 1 } }))
          .status,
        200,
      );
      const badPlugin = await call('POST', '/schemas/plugins/validate', {
        name: 'rate-limiting',
        config: {},
      });
      assert.equal(badPlugin.status, 400);
      assert.ok(badPlugin.body.fields);
    });
  });

  describe('admin token', () => {
    test('with admin_token set, requests without or with a wrong token are 401, with the token 200', async () => {
      await using guarded = await openTestAdmin({ admin_token: 'tok-123' }, { dao: t.dao });
      const get = (headers: Record<string, string>) =>
        guarded.app.inject({ method: 'GET', url: '/services', headers });
      assert.equal((await get({})).statusCode, 401);
      assert.equal((await get({ 'kong-admin-token': 'wrong' })).statusCode, 401);
      assert.equal((await get({ 'kong-admin-token': 'tok-123' })).statusCode, 200);
      assert.equal((await get({ authorization: 'Bearer tok-123' })).statusCode, 200);
    });
  });
}
