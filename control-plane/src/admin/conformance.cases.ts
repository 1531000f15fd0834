import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { TURNPIKE_VERSION } from '@turnpike/shared';
import { HEALTHCHECKS_DEFAULTS } from '@turnpike/shared/schema';
import {
  injectJson,
  type Json,
  type OpenTestAdmin,
  openTestAdmin,
  type TestAdmin,
} from './testing/fixture.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../shared/src/schema/fixtures/${name}`, import.meta.url), 'utf8');
const RSA = { cert: fixture('rsa.crt'), key: fixture('rsa.key') };
const EC = { cert: fixture('ec.crt'), key: fixture('ec.key') };

/**
 * Kong 3.10 conformance of the Admin API (issue 15): PATCH merges, error shapes and codes,
 * filters and introspection, each as Kong's source and spec tests have them. Run against each
 * datastore by the *.test.ts files beside it.
 */
export function conformanceCases(open: OpenTestAdmin): void {
  let t: TestAdmin;
  before(async () => {
    t = await open();
  });
  after(() => t[Symbol.asyncDispose]());

  const call = (
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
    app = t.app,
  ) => injectJson(app, method, url, payload, headers);
  const json = { 'content-type': 'application/json' };

  describe('PATCH merges nested records into the stored entity', () => {
    test("a plugin's partial config keeps every other config field, defaults included", async () => {
      const created = await call('POST', '/plugins', {
        name: 'rate-limiting',
        instance_name: 'merge-rl',
        config: { minute: 5, policy: 'cluster' },
      });
      assert.equal(created.status, 201);
      const patched = await call('PATCH', '/plugins/merge-rl', { enabled: false, config: { hour: 100 } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.config, { minute: 5, hour: 100, policy: 'cluster' });
      assert.equal(patched.body.enabled, false);
      // The stored entity is the merged one, and a check over config sees the stored fields.
      assert.deepEqual((await call('GET', '/plugins/merge-rl')).body.config, patched.body.config);
      const minuteGone = await call('PATCH', '/plugins/merge-rl', { config: { minute: null } });
      assert.equal(minuteGone.status, 200);
      assert.deepEqual(minuteGone.body.config, { minute: null, hour: 100, policy: 'cluster' });
    });

    test('a key-auth plugin re-enabled by PATCH keeps its key_names', async () => {
      const consumer = await call('POST', '/consumers', { username: 'merge-owner' });
      const created = await call('POST', '/consumers/merge-owner/plugins', {
        name: 'key-auth',
        config: { key_names: ['x-key', 'apikey'] },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { id } = created.body;
      await call('PATCH', `/plugins/${id}`, { enabled: false });
      const again = await call('PATCH', `/consumers/merge-owner/plugins/${id}`, {
        enabled: true,
        config: {},
      });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body.config, { key_names: ['x-key', 'apikey'] });
      assert.deepEqual(again.body.consumer, { id: consumer.body.id });
    });

    test("an upstream's partial healthchecks merge record by record; arrays are replaced whole", async () => {
      await call('POST', '/upstreams', { name: 'merge-up.test' });
      const patched = await call('PATCH', '/upstreams/merge-up.test', {
        healthchecks: { active: { timeout: 3, healthy: { http_statuses: [200] } } },
      });
      assert.equal(patched.status, 200);
      const expected = structuredClone(HEALTHCHECKS_DEFAULTS) as Json;
      expected.active.timeout = 3;
      expected.active.healthy.http_statuses = [200];
      assert.deepEqual(patched.body.healthchecks, expected);
      assert.deepEqual((await call('GET', '/upstreams/merge-up.test')).body.healthchecks, expected);
    });
  });

  describe("error shapes and codes in Kong's words", () => {
    test('an entity-level error is the whole message, listed under @entity', async () => {
      assert.deepEqual((await call('POST', '/consumers', {})).body, {
        message: "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
        name: 'schema violation',
        code: 2,
        fields: { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] },
      });
    });

    test('a nested error names its record, the table below it printed as Kong prints it', async () => {
      await call('POST', '/upstreams', { name: 'nested-err.test' });
      const res = await call('PATCH', '/upstreams/nested-err.test', {
        healthchecks: { active: { timeout: -1 } },
        slots: 1,
      });
      assert.equal(res.status, 400);
      assert.equal(
        res.body.message,
        '2 schema violations (healthchecks.active: {\n  timeout = "value should be between 0 and 65535"\n}; ' +
          'slots: value should be between 10 and 65536)',
      );
      assert.deepEqual(res.body.fields, {
        healthchecks: { active: { timeout: 'value should be between 0 and 65535' } },
        slots: 'value should be between 10 and 65536',
      });
    });

    test('a foreign key by name that names nothing is code 13; by an unknown id it is code 4', async () => {
      const byName = await call('POST', '/routes', { paths: ['/fk'], service: { name: 'no-such-svc' } });
      const sentence =
        "the foreign key cannot be resolved with '{name=\"no-such-svc\"}' for an existing 'services' entity";
      assert.deepEqual(byName, {
        status: 400,
        headers: byName.headers,
        body: {
          message: `foreign key unresolved (service.name: ${sentence})`,
          name: 'foreign keys unresolved',
          code: 13,
          fields: { service: { name: sentence } },
        },
      });
      const id = '9b0a3a3e-4f64-4e55-9a59-5a0b6a7c0001';
      const byId = await call('POST', '/routes', { paths: ['/fk'], service: { id } });
      assert.equal(byId.status, 400);
      assert.deepEqual(byId.body, {
        message: `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
        name: 'foreign key violation',
        code: 4,
        fields: { service: { id } },
      });
    });

    test('an empty JSON body is "Cannot parse JSON body" where Kong reads a body, and ignored elsewhere', async () => {
      for (const method of ['POST', 'PUT', 'PATCH']) {
        const res = await call(method, method === 'POST' ? '/consumers' : '/consumers/empty-body', '', json);
        assert.deepEqual(res.body, { message: 'Cannot parse JSON body' }, method);
        assert.equal(res.status, 400, method);
      }
      assert.equal((await call('POST', '/consumers', '  \n', json)).status, 400);
      assert.equal((await call('DELETE', '/consumers/empty-body', '', json)).status, 204);
    });

    test('a certificate is refused an SNI listed twice, and one another certificate has, as 400s', async () => {
      const dup = await call('POST', '/certificates', {
        ...RSA,
        snis: ['b.dup.test', 'a.dup.test', 'b.dup.test'],
      });
      assert.deepEqual(dup.body, {
        message: 'schema violation (snis: b.dup.test is duplicated)',
        name: 'schema violation',
        code: 2,
        fields: { snis: 'b.dup.test is duplicated' },
      });
      assert.equal((await call('GET', '/snis/a.dup.test')).status, 404, 'nothing was created');

      const first = await call('POST', '/certificates', { ...RSA, snis: ['z.own.test', 'y.own.test'] });
      assert.deepEqual(first.body.snis, ['y.own.test', 'z.own.test'], 'SNIs come back sorted');
      const taken = await call('POST', '/certificates', { ...EC, snis: ['x.own.test', 'z.own.test'] });
      const message = `z.own.test already associated with existing certificate '${first.body.id}'`;
      assert.deepEqual(taken, {
        status: 400,
        headers: taken.headers,
        body: {
          message: `schema violation (snis: ${message})`,
          name: 'schema violation',
          code: 2,
          fields: { snis: message },
        },
      });
      assert.equal((await call('GET', '/snis/x.own.test')).status, 404, 'nothing was created');
      const second = await call('POST', '/certificates', { ...EC, snis: ['x.own.test'] });
      const patched = await call('PATCH', `/certificates/${second.body.id}`, {
        snis: ['x.own.test', 'y.own.test'],
      });
      assert.equal(patched.status, 400);
      assert.match(patched.body.message, /^schema violation \(snis: y\.own\.test already associated with /);
      // A certificate keeps, reorders or drops its own SNIs freely.
      const own = await call('PATCH', `/certificates/${first.body.id}`, {
        snis: ['z.own.test', 'w.own.test'],
      });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(own.body.snis, ['w.own.test', 'z.own.test']);
      const put = await call('PUT', `/certificates/${first.body.id}`, { ...RSA, snis: ['w.own.test'] });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body.snis, ['w.own.test']);
    });
  });

  describe('filters', () => {
    test('GET /consumers?custom_id= and ?username= answer the one consumer, or none', async () => {
      const c = await call('POST', '/consumers', { username: 'filter-u', custom_id: 'filter-c' });
      await call('POST', '/consumers', { username: 'filter-other' });
      const uuidLike = await call('POST', '/consumers', {
        custom_id: '6b1f0c3e-2a4d-4e5f-8a9b-0c1d2e3f4a5b',
      });
      assert.deepEqual((await call('GET', '/consumers?custom_id=filter-c')).body, {
        data: [c.body],
        next: null,
      });
      assert.deepEqual((await call('GET', '/consumers?username=filter-u&size=1')).body, {
        data: [c.body],
        next: null,
      });
      assert.deepEqual((await call('GET', `/consumers?custom_id=${uuidLike.body.custom_id}`)).body.data, [
        uuidLike.body,
      ]);
      assert.deepEqual((await call('GET', '/consumers?custom_id=nobody')).body, { data: [], next: null });
      for (const query of ['custom_id=', 'custom_id', 'custom_id=a&custom_id=b']) {
        assert.deepEqual(await call('GET', `/consumers?${query}`).then((r) => [r.status, r.body]), [
          400,
          { message: 'custom_id must be an unempty string' },
        ]);
      }
      assert.equal(
        (await call('GET', '/consumers?username=')).body.message,
        'username must be an unempty string',
      );
    });

    test("empty or mixed tags are refused with Kong's invalid options, on nested lists too", async () => {
      assert.deepEqual((await call('GET', '/services?tags=')).body, {
        message: 'invalid option (tags: cannot be null)',
        name: 'invalid options',
        code: 11,
        options: { tags: 'cannot be null' },
      });
      const mixed = await call('GET', `/consumers?tags=${encodeURIComponent('a,b/c')}`);
      assert.equal(mixed.status, 400);
      assert.equal(mixed.body.message, 'invalid option (tags: invalid filter syntax)');
      await call('POST', '/consumers', { username: 'tags-owner' });
      const nested = await call('GET', `/consumers/tags-owner/key-auth?tags=${encodeURIComponent('a/b,c')}`);
      assert.equal(nested.status, 400);
      assert.equal(nested.body.code, 11);
    });
  });

  describe('introspection', () => {
    test('GET / lists each plugin on the server with its version and priority', async () => {
      assert.deepEqual((await call('GET', '/')).body.plugins.available_on_server, {
        'rate-limiting': { version: '1.0.0', priority: 910 },
        'key-auth': { version: '1.0.0', priority: 1250 },
      });
    });

    test("OPTIONS answers 204 with Kong's Allow and Access-Control-Allow-* headers, token or not", async () => {
      const expectations: [string, string][] = [
        ['/', 'GET, HEAD, OPTIONS'],
        ['/services', 'GET, HEAD, OPTIONS, POST'],
        ['/services/some-name', 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT'],
        ['/schemas/plugins/validate', 'OPTIONS, POST'],
        // Routes of a scoped plugin too (the Admin GUI's export preflights this one).
        ['/config', 'GET, HEAD, OPTIONS, POST'],
      ];
      for (const [path, allow] of expectations) {
        const res = await call('OPTIONS', path);
        assert.equal(res.status, 204, path);
        assert.equal(res.body, undefined);
        assert.equal(res.headers.allow, allow, path);
        assert.equal(res.headers['access-control-allow-methods'], allow, path);
        assert.equal(res.headers['access-control-allow-headers'], 'Content-Type', path);
      }
      const asked = await call('OPTIONS', '/', undefined, {
        'access-control-request-headers': 'X-Header-1,X-Header-2',
      });
      assert.equal(asked.headers['access-control-allow-headers'], 'X-Header-1,X-Header-2');
      assert.deepEqual(await call('OPTIONS', '/non-existing').then((r) => [r.status, r.body]), [
        404,
        { message: 'Not found' },
      ]);
      assert.deepEqual((await call('HEAD', '/schemas/plugins/validate')).status, 405);
      assert.deepEqual((await call('PATCH', '/config')).body, { message: 'Method not allowed' });
      await using guarded = await openTestAdmin({ admin_token: 'tok-123' }, { dao: t.dao });
      const preflight = await call('OPTIONS', '/services', undefined, {}, guarded.app);
      assert.equal(preflight.status, 204, 'a preflight carries no token');
      assert.equal((await call('GET', '/services', undefined, {}, guarded.app)).status, 401);
    });

    test('every answer carries Server and X-Kong-Admin-Latency as the headers key enables them', async () => {
      const server = `turnpike/${TURNPIKE_VERSION}`;
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/nothing-here'],
        ['POST', '/consumers'],
        ['OPTIONS', '/services'],
      ] as const) {
        const res = await call(method, path, method === 'POST' ? {} : undefined);
        assert.equal(res.headers.server, server, `${method} ${path}`);
        assert.match(String(res.headers['x-kong-admin-latency']), /^\d+$/, `${method} ${path}`);
      }
      await using off = await openTestAdmin({ headers: ['off'] }, { dao: t.dao });
      const quiet = await call('GET', '/', undefined, {}, off.app);
      assert.equal(quiet.headers.server, undefined);
      assert.equal(quiet.headers['x-kong-admin-latency'], undefined);
      await using serverOnly = await openTestAdmin({ headers: ['Server'] }, { dao: t.dao });
      const named = await call('GET', '/', undefined, {}, serverOnly.app);
      assert.equal(named.headers.server, server);
      assert.equal(named.headers['x-kong-admin-latency'], undefined);
    });
  });
}
