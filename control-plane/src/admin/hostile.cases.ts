import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { entityEndpoints } from './endpoints.ts';
import { MAX_PARAM_LENGTH } from './server.ts';
import { type OpenTestAdmin, openTestAdmin, type TestAdmin } from './testing/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A path segment (as sent, percent-encoded) and the status it must get wherever it names an entity. */
const HOSTILE_SEGMENTS: readonly { segment: string; status?: number }[] = [
  { segment: '%00', status: 400 },
  { segment: 'a%00b', status: 400 },
  { segment: '%FF', status: 400 },
  { segment: 'ok%C3%28', status: 400 },
  { segment: '%ED%A0%80', status: 400 }, // a UTF-16 surrogate, UTF-8 encoded
  { segment: '%C0%AF', status: 400 }, // overlong '/'
  { segment: '%F4%90%80%80', status: 400 }, // past U+10FFFF
  { segment: '%E2%82', status: 400 }, // truncated
  { segment: 'x'.repeat(MAX_PARAM_LENGTH + 1), status: 414 },
  { segment: '%' },
  { segment: '%zz' },
  { segment: '%2F..%2F' },
  { segment: '%20' },
  { segment: '%C3%A9t%C3%A9' }, // valid UTF-8: an ordinary lookup
  { segment: '00000000-0000-0000-0000-000000000000' },
];

/**
 * Query strings, and the status each must get: text PostgreSQL cannot hold is refused on every
 * route (`text`), the rest on the top-level lists, which read every parameter.
 */
const HOSTILE_QUERIES: readonly { query: string; status?: number; text?: true }[] = [
  { query: 'tags=%00', status: 400, text: true },
  { query: 'tags=a%00', status: 400, text: true },
  { query: 'tags=%FF', status: 400, text: true },
  { query: 'offset=%00', status: 400, text: true },
  { query: 'offset=%C3%28', status: 400, text: true },
  { query: 'size=%00', status: 400, text: true },
  { query: '%FF=1', status: 400, text: true },
  { query: 'unknown=%00', status: 400, text: true },
  { query: 'tags=a,b/c', status: 400 },
  { query: 'tags=a,b,c,d,e,f', status: 400 },
  { query: 'tags=%01', status: 400 },
  { query: 'size=ten', status: 400 },
  { query: 'size=-1', status: 400 },
  { query: 'size=1e400', status: 400 },
  { query: 'offset=bm90IGFuIG9mZnNldA', status: 400 },
  { query: `offset=${encodeURIComponent(Buffer.from('["\\u0000"]').toString('base64'))}`, status: 400 },
  { query: 'size=1&size=2' },
  { query: 'tags=' },
  { query: 'offset=' },
  { query: '%' },
  { query: 'a=%zz&&&=' },
];

/** Bodies for writes: [content type, payload], each a 400 (or 415) before any statement runs. */
const HOSTILE_BODIES: readonly { type: string; body: string | Buffer; status: number }[] = [
  { type: 'application/json', body: '{"name":"a\\u0000b"}', status: 400 },
  { type: 'application/json', body: '{"tags":["ok","\\u0000"]}', status: 400 },
  { type: 'application/json', body: '{"name":"\\ud800"}', status: 400 },
  { type: 'application/json', body: '{"na\\u0000me":"x"}', status: 400 },
  { type: 'application/json', body: '{"config":{"minute":"\\u0000"}}', status: 400 },
  {
    type: 'application/json',
    body: Buffer.from([...Buffer.from('{"name":"a'), 0xff, ...Buffer.from('"}')]),
    status: 400,
  },
  {
    type: 'application/json',
    body: Buffer.from([...Buffer.from('{"na'), 0xc3, 0x28, ...Buffer.from('":1}')]),
    status: 400,
  },
  { type: 'application/json', body: '{"name": ', status: 400 },
  { type: 'application/json', body: '[1]', status: 400 },
  { type: 'application/json', body: 'null', status: 400 },
  { type: 'application/json', body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, status: 400 },
  { type: 'application/json', body: `{"a":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_001)}`, status: 400 },
  { type: 'application/x-www-form-urlencoded', body: 'name=a%00b', status: 400 },
  { type: 'application/x-www-form-urlencoded', body: 'name=%FF', status: 400 },
  { type: 'application/x-www-form-urlencoded', body: '%C3%28=1', status: 400 },
  {
    type: 'application/x-www-form-urlencoded',
    body: Buffer.from([...Buffer.from('name=a'), 0xfe]),
    status: 400,
  },
  {
    type: 'application/x-www-form-urlencoded',
    body: Buffer.from([...Buffer.from('name=a'), 0x00]),
    status: 400,
  },
  { type: 'text/plain', body: 'name=x', status: 415 },
  { type: 'application/xml', body: '<name/>', status: 415 },
  { type: 'multipart/form-data; boundary=x', body: '--x--', status: 415 },
];

/** Every route with its methods and a way to fill its parameters, generated ones first. */
function routesUnderTest(): { path: string; methods: Method[] }[] {
  const routes: { path: string; methods: Method[] }[] = [];
  for (const e of entityEndpoints()) {
    const collection = e.kind === 'collection' || e.kind === 'nested-collection';
    routes.push({ path: e.path, methods: collection ? ['GET', 'POST'] : ['GET', 'PUT', 'PATCH', 'DELETE'] });
  }
  routes.push(
    { path: '/tags', methods: ['GET'] },
    { path: '/tags/:tag', methods: ['GET'] },
    { path: '/schemas/:name', methods: ['GET'] },
    { path: '/schemas/:name/validate', methods: ['POST'] },
    { path: '/schemas/plugins/:name', methods: ['GET'] },
    { path: '/schemas/plugins/validate', methods: ['POST'] },
    { path: '/config', methods: ['GET', 'POST'] },
    { path: '/', methods: ['GET'] },
  );
  return routes;
}

/** The path with every parameter set to `segment` (or one at a time: the others a plain name). */
function fill(path: string, segment: string, only?: number): string {
  let n = 0;
  return path.replace(/:[a-z]+/g, () => (only === undefined || n++ === only ? segment : 'plain-name'));
}

function paramCount(path: string): number {
  return (path.match(/:[a-z]+/g) ?? []).length;
}

/** What no answer may be: a 5xx, fastify's own body, or anything but Kong's JSON shape. */
function assertKongShaped(res: { statusCode: number; body: string }, what: string): void {
  assert.ok(res.statusCode < 500, `${what}: ${res.statusCode} ${res.body}`);
  assert.doesNotMatch(res.body, /FST_ERR/, `${what}: ${res.body}`);
  if (res.body === '') return;
  const json = JSON.parse(res.body) as Json;
  if (res.statusCode >= 400) {
    assert.equal(typeof json.message, 'string', `${what}: ${res.body}`);
    for (const key of Object.keys(json))
      assert.ok(['message', 'name', 'code', 'fields', 'options'].includes(key), `${what}: ${res.body}`);
  }
}

/**
 * Hostile input through every generated entity route (and the others): bad bytes in each path
 * parameter, query parameter and body string, bodies that do not parse, types that are not
 * served. None may earn a 5xx or leak fastify's body; the bad text is refused with a 400 before
 * PostgreSQL sees it (where it would be a 500).
 */
export function hostileCases(open: OpenTestAdmin): void {
  let t: TestAdmin;
  before(async () => {
    t = await open();
  });
  after(() => t[Symbol.asyncDispose]());

  const send = (method: Method, url: string, type?: string, payload?: string | Buffer) =>
    t.app.inject({
      method,
      url,
      ...(type === undefined ? {} : { headers: { 'content-type': type } }),
      ...(payload === undefined ? {} : { payload }),
    });

  describe('hostile Admin API input', () => {
    test('bad bytes in any path parameter of any route are a Kong 4xx, never a 5xx or a fastify body', async () => {
      let requests = 0;
      for (const { path, methods } of routesUnderTest()) {
        for (let p = 0; p < paramCount(path); p++) {
          for (const { segment, status } of HOSTILE_SEGMENTS) {
            for (const method of methods) {
              const url = fill(path, segment, p);
              const json = method === 'GET' || method === 'DELETE' ? undefined : '{}';
              const res = await send(method, url, json && 'application/json', json);
              requests++;
              const what = `${method} ${url.slice(0, 120)}`;
              assertKongShaped(res, what);
              if (status !== undefined) assert.equal(res.statusCode, status, `${what}: ${res.body}`);
            }
          }
        }
      }
      assert.ok(requests > 1000, `walked ${requests} requests`);
    });

    test('bad query parameters on every route are a Kong 400 naming the parameter', async () => {
      const lists = new Set([
        ...entityEndpoints()
          .filter((e) => e.kind === 'collection')
          .map((e) => e.path),
        '/tags',
      ]);
      for (const { path, methods } of routesUnderTest()) {
        if (!methods.includes('GET')) continue;
        for (const { query, status, text } of HOSTILE_QUERIES) {
          const url = `${fill(path, 'plain-name')}?${query}`;
          const res = await send('GET', url);
          assertKongShaped(res, `GET ${url}`);
          if (status !== undefined && (text === true || lists.has(path)))
            assert.equal(res.statusCode, status, `GET ${url}: ${res.body}`);
        }
      }
    });

    test('bad bodies on every write are refused with a Kong 400 or 415', async () => {
      for (const { path, methods } of routesUnderTest()) {
        for (const method of methods) {
          if (method === 'GET' || method === 'DELETE') continue;
          for (const { type, body, status } of HOSTILE_BODIES) {
            const url = fill(path, 'plain-name');
            const res = await send(method, url, type, body);
            const what: string = `${method} ${url} ${type} ${String(body).slice(0, 40)}`;
            assertKongShaped(res, what);
            // /config reads YAML and text bodies: a text/plain body is a (bad) declarative file there.
            if (!(path === '/config' && status === 415))
              assert.equal(res.statusCode, status, `${what}: ${res.body}`);
          }
        }
      }
    });

    test('a NUL in a name path segment is Kong\'s "invalid unique name" and in an id-only one "invalid primary key"', async () => {
      const byName = await send('GET', '/services/a%00b');
      assert.equal(byName.statusCode, 400);
      assert.deepEqual(byName.json(), {
        message: 'invalid NUL character detected at position 2',
        name: 'invalid unique name',
        code: 10,
      });
      const byUtf8 = await send('GET', '/consumers/%C3%28');
      assert.deepEqual(byUtf8.json(), {
        message: 'invalid utf-8 character sequence detected at position 1',
        name: 'invalid unique username',
        code: 10,
      });
      const idOnly = await send('DELETE', '/ca_certificates/%FF');
      assert.equal(idOnly.statusCode, 400);
      assert.equal(idOnly.json().name, 'invalid primary key');
      assert.deepEqual(idOnly.json().fields, {
        id: 'invalid utf-8 character sequence detected at position 1',
      });
      const tag = await send('GET', '/tags/x%00');
      assert.equal(tag.json().name, 'invalid unique tag');
    });

    test("bad query text is Kong's invalid options (code 11) naming the parameter", async () => {
      const res = await send('GET', '/services?tags=a%00&offset=%FF');
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        message:
          '2 option violations (offset: invalid utf-8 character sequence detected at position 1; tags: invalid NUL character detected at position 2)',
        name: 'invalid options',
        code: 11,
        options: {
          tags: 'invalid NUL character detected at position 2',
          offset: 'invalid utf-8 character sequence detected at position 1',
        },
      });
      // Kong's words for tag filters it cannot read (spec/02-integration/04-admin_api/14-tags_spec.lua).
      const mixed = await send('GET', '/consumers?tags=a,b/c');
      assert.equal(mixed.json().message, 'invalid option (tags: invalid filter syntax)');
    });

    test('a bad body string is a schema violation naming its field, nested as Kong nests fields', async () => {
      const res = await send(
        'POST',
        '/services',
        'application/json',
        '{"name":"ok","tags":["fine","b\\u0000d"]}',
      );
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        message: 'schema violation (tags.2: invalid NUL character detected at position 2)',
        name: 'schema violation',
        code: 2,
        fields: { tags: [null, 'invalid NUL character detected at position 2'] },
      });
      const raw = await send(
        'POST',
        '/consumers',
        'application/json',
        Buffer.from([...Buffer.from('{"username":"ab'), 0xff, ...Buffer.from('"}')]),
      );
      assert.deepEqual(raw.json().fields, {
        username: 'invalid utf-8 character sequence detected at position 3',
      });
      const form = await send('POST', '/consumers', 'application/x-www-form-urlencoded', 'username=%E2%82');
      assert.deepEqual(form.json().fields, {
        username: 'invalid utf-8 character sequence detected at position 1',
      });
      assert.equal((await send('GET', '/consumers?size=1000')).json().data.length, 0, 'nothing was stored');
    });

    test('an over-long path parameter is 414 "URI too long", and a long SNI name is an ordinary lookup', async () => {
      const res = await send('GET', `/services/${'x'.repeat(MAX_PARAM_LENGTH + 1)}`);
      assert.equal(res.statusCode, 414);
      assert.deepEqual(res.json(), { message: 'URI too long' });
      const sni = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.example`;
      assert.equal((await send('GET', `/certificates/${sni}`)).statusCode, 404);
    });

    test('a body over the limit is 413 "Payload too large"', async () => {
      await using small = await openTestAdmin({}, { dao: t.dao, bodyLimit: 1024 });
      const res = await small.app.inject({
        method: 'POST',
        url: '/services',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'big', tags: ['x'.repeat(2048)] }),
      });
      assert.equal(res.statusCode, 413);
      assert.deepEqual(res.json(), { message: 'Payload too large' });
    });
  });
}
