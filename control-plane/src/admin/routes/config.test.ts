import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openTestAdmin, type TestAdmin } from '../testing/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>;
let t: TestAdmin;
before(async () => {
  t = await openTestAdmin();
});
after(() => t[Symbol.asyncDispose]());

async function post(url: string, payload: Json | string, contentType?: string) {
  const res = await t.app.inject({
    method: 'POST',
    url,
    payload,
    ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
  });
  return { status: res.statusCode, body: (res.body === '' ? undefined : res.json()) as Json };
}

async function get(url: string) {
  const res = await t.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as Json };
}

const FIRST = `_format_version: "3.0"
services:
- name: keep-svc
  url: http://keep.test
  routes:
  - name: keep-route
    paths: [/keep]
- name: gone-svc
  url: http://gone.test
consumers:
- username: gone-user
  keyauth_credentials:
  - key: gone-key
`;

describe('POST /config', () => {
  test('loads a YAML file given as `config` and answers 201 with the entities by id', async () => {
    const res = await post('/config', { config: FIRST });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const services = Object.values(res.body.services as Json) as Json[];
    assert.deepEqual(services.map((s) => s.name).sort(), ['gone-svc', 'keep-svc']);
    const [routeId, route] = Object.entries(res.body.routes as Json)[0] as [string, Json];
    assert.equal(route.id, routeId);
    assert.equal((await get('/services/gone-svc')).status, 200);
    assert.equal((await get('/consumers/gone-user/key-auth')).body.data.length, 1);
  });

  test('replaces the configuration: what the new file does not name is gone', async () => {
    const keep = (await get('/services/keep-svc')).body;
    const version = await t.dao.configVersion();
    const res = await post('/config', {
      _format_version: '3.0',
      services: [
        { name: 'keep-svc', url: 'http://keep.test', routes: [{ name: 'keep-route', paths: ['/keep'] }] },
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(await t.dao.configVersion(), version + 1, 'one transaction, one version');
    assert.equal((await get('/services/gone-svc')).status, 404);
    assert.equal((await get('/consumers/gone-user')).status, 404);
    assert.equal((await get('/services/keep-svc')).body.id, keep.id, 'unchanged entities keep their id');
    assert.equal((await get('/routes/keep-route')).status, 200);
  });

  test('a raw YAML body is accepted', async () => {
    const res = await post(
      '/config',
      '_format_version: "3.0"\nconsumers:\n- username: raw-user\n',
      'application/yaml',
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((await get('/consumers/raw-user')).status, 200);
  });

  test('an invalid file is Kong’s code 14 with nested fields, and nothing changes', async () => {
    const version = await t.dao.configVersion();
    const res = await post('/config', { config: '_format_version: "3.0"\nservices:\n- port: -12\n' });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 14);
    assert.equal(res.body.name, 'invalid declarative configuration');
    assert.deepEqual(res.body.fields, {
      services: [{ host: 'required field missing', port: 'value should be between 0 and 65535' }],
    });
    assert.match(res.body.message, /^declarative config is invalid: /);
    assert.equal(res.body.flattened_errors, undefined);
    assert.equal(await t.dao.configVersion(), version);
    assert.equal((await get('/consumers/raw-user')).status, 200);
  });

  test('flatten_errors=1 adds Kong’s flattened_errors', async () => {
    const res = await post('/config?flatten_errors=1', {
      _format_version: '3.0',
      services: [{ name: 'bad', host: 'bad.test', routes: [{ name: 'bad-route', paths: ['nope'] }] }],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 14);
    assert.deepEqual(res.body.fields, {});
    assert.equal(res.body.flattened_errors.length, 1);
    const [entry] = res.body.flattened_errors as Json[];
    assert.equal(entry?.entity_type, 'route');
    assert.equal(entry?.entity_name, 'bad-route');
    assert.equal(entry?.errors[0].field, 'paths.1');
  });

  test('no configuration at all is Kong’s 400', async () => {
    const res = await post('/config', {});
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { message: 'expected a declarative configuration' });
  });
});

describe('GET /config', () => {
  test('answers the current configuration as a declarative YAML file', async () => {
    const res = await get('/config');
    assert.equal(res.status, 200);
    assert.match(res.body.config, /^_format_version: "3\.0"\n/);
    assert.match(res.body.config, /username: raw-user/);
  });
});

describe('POST /config/diff', () => {
  test('previews what POST /config would create, change and delete, and writes nothing', async () => {
    assert.equal((await post('/config', { config: FIRST })).status, 201);
    const exported = (await get('/config')).body.config as string;
    const version = await t.dao.configVersion();
    const same = await post('/config/diff', { config: exported });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.deepEqual([same.body.created, same.body.changed, same.body.deleted], [[], [], []]);
    assert.ok(same.body.unchanged > 0, 'its own export changes nothing');

    const res = await post('/config/diff', {
      _format_version: '3.0',
      services: [
        {
          name: 'keep-svc',
          url: 'http://keep.test:8080',
          routes: [{ name: 'keep-route', paths: ['/keep'] }],
        },
        { name: 'new-svc', url: 'http://new.test' },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      (res.body.created as Json[]).map((i) => `${i.entity}:${i.name}`),
      ['services:new-svc'],
    );
    assert.deepEqual(
      (res.body.changed as Json[]).map((i) => [`${i.entity}:${i.name}`, i.fields]),
      [['services:keep-svc', ['port']]],
    );
    assert.deepEqual((res.body.deleted as Json[]).map((i) => `${i.entity}:${i.name ?? i.id}`).sort(), [
      'consumers:gone-user',
      'keyauth_credentials:gone-key',
      'services:gone-svc',
    ]);
    assert.equal(await t.dao.configVersion(), version, 'nothing written');
    assert.equal((await get('/services/new-svc')).status, 404);
  });

  test('an invalid file is the same code 14 as POST /config', async () => {
    const res = await post('/config/diff', { config: '_format_version: "3.0"\nservices:\n- port: -12\n' });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 14);
  });
});

async function multipart(url: string, parts: Record<string, string | { file: string; name: string }>) {
  const form = new FormData();
  for (const [key, value] of Object.entries(parts)) {
    if (typeof value === 'string') form.append(key, value);
    else form.append(key, new Blob([value.file]), value.name);
  }
  const encoded = new Request('http://admin.test', { method: 'POST', body: form });
  const res = await t.app.inject({
    method: 'POST',
    url,
    payload: Buffer.from(await encoded.arrayBuffer()),
    headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
  });
  return { status: res.statusCode, body: (res.body === '' ? undefined : res.json()) as Json };
}

describe('POST /config with multipart/form-data', () => {
  test('takes the file of a `config` part (curl -F config=@kong.yml)', async () => {
    const file = '_format_version: "2.1"\nconsumers:\n- username: multipart-user\n';
    const res = await multipart('/config', { config: { file, name: 'kong.yml' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((await get('/consumers/multipart-user')).status, 200);
  });

  test('takes a plain `config` field, and flatten_errors as a form field, as Kong’s params', async () => {
    const res = await multipart('/config', {
      config: '_format_version: "3.0"\nservices:\n- name: bad\n  port: -1\n',
      flatten_errors: '1',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 14);
    assert.equal(res.body.flattened_errors[0].entity_name, 'bad');
  });
});

describe('POST /config?check_hash=1', () => {
  const TEXT = '_format_version: "1.1"\nconsumers:\n- username: bobby_tables\n';

  test('answers 304 for the text loaded last, and loads it again once anything was written', async () => {
    assert.equal((await post('/config?check_hash=1', { config: TEXT })).status, 201);
    const version = await t.dao.configVersion();
    const again = await t.app.inject({
      method: 'POST',
      url: '/config?check_hash=1',
      payload: { config: TEXT },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    assert.equal(await t.dao.configVersion(), version, 'nothing written');
    // Without check_hash the same text loads again.
    assert.equal((await post('/config', { config: TEXT })).status, 201);
    assert.equal((await post('/config?check_hash=1', { config: TEXT })).status, 304);
    // A write through the entity endpoints: the database no longer holds the file.
    assert.equal((await post('/consumers', { username: 'someone-else' })).status, 201);
    assert.equal((await post('/config?check_hash=1', { config: TEXT })).status, 201);
    assert.equal((await get('/consumers/someone-else')).status, 404);
  });

  test('only "1" asks for it (Kong’s tostring check), and another text always loads', async () => {
    assert.equal((await post('/config?check_hash=1', { config: TEXT })).status, 304);
    assert.equal((await post('/config?check_hash=true', { config: TEXT })).status, 201);
    const other = `${TEXT}- username: robert\n`;
    assert.equal((await post('/config?check_hash=1', { config: other })).status, 201);
  });
});

describe('POST /config with a broken multipart body', () => {
  test('is a 4xx, never a 500, and changes nothing', async () => {
    const version = await t.dao.configVersion();
    for (const [contentType, payload] of [
      ['multipart/form-data', 'no boundary here'],
      [
        'multipart/form-data; boundary=xyz',
        '--xyz\r\nContent-Disposition: form-data; name="config"\r\n\r\ncut sho',
      ],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/config',
        payload,
        headers: { 'content-type': contentType },
      });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body}`);
      assert.equal(typeof res.json().message, 'string');
    }
    assert.equal(await t.dao.configVersion(), version);
  });
});
