import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { injectJson, type Json, type OpenTestAdmin, type TestAdmin } from './testing/fixture.ts';

/** The suite, run against each datastore by the *.test.ts files beside it. */
export function entityCases(open: OpenTestAdmin): void {
  let t: TestAdmin;
  before(async () => {
    t = await open();
  });
  after(() => t[Symbol.asyncDispose]());

  async function call(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
    const { status, body } = await injectJson(t.app, method, url, payload, headers);
    return { status, body };
  }
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  describe('entity CRUD', () => {
    test('a service is created (201), read by id and by name, patched, replaced and deleted', async () => {
      const created = await call('POST', '/services', {
        name: 'crud-svc',
        url: 'http://upstream.test:8080/p',
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.host, 'upstream.test');
      assert.equal(created.body.port, 8080);
      const { id } = created.body;

      assert.equal((await call('GET', `/services/${id}`)).body.name, 'crud-svc');
      assert.equal((await call('GET', '/services/crud-svc')).body.id, id);

      const patched = await call('PATCH', '/services/crud-svc', { retries: 2 });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.retries, 2);
      assert.equal(patched.body.host, 'upstream.test');

      const replaced = await call('PUT', `/services/${id}`, { name: 'crud-svc', host: 'other.test' });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.host, 'other.test');
      assert.equal(replaced.body.retries, 5, 'PUT replaces: unspecified fields take their defaults');

      assert.equal((await call('DELETE', `/services/${id}`)).status, 204);
      assert.deepEqual(await call('GET', `/services/${id}`), { status: 404, body: { message: 'Not found' } });
    });

    test('PUT by name creates the entity with that name, then replaces it', async () => {
      const first = await call('PUT', '/consumers/put-by-name', { custom_id: 'c-1' });
      assert.equal(first.status, 200);
      assert.equal(first.body.username, 'put-by-name');
      const second = await call('PUT', '/consumers/put-by-name', { custom_id: 'c-2' });
      assert.equal(second.body.id, first.body.id);
      assert.equal(second.body.custom_id, 'c-2');
    });

    test('DELETE answers 204 even when nothing has that id or name, as Kong does', async () => {
      assert.equal((await call('DELETE', '/services/never-existed')).status, 204);
      assert.equal((await call('DELETE', '/services/9b0a3a3e-4f64-4e55-9a59-5a0b6a7c0001')).status, 204);
    });
  });

  describe('Kong error shapes', () => {
    test('an invalid entity is a 400 schema violation naming each field', async () => {
      const res = await call('POST', '/services', { name: 'bad-svc', port: 'eighty' });
      assert.deepEqual(res, {
        status: 400,
        body: {
          message: '2 schema violations (host: required field missing; port: expected an integer)',
          name: 'schema violation',
          code: 2,
          fields: { port: 'expected an integer', host: 'required field missing' },
        },
      });
    });

    test('a second entity with the same unique name is a 409 unique violation', async () => {
      assert.equal((await call('POST', '/consumers', { username: 'twice' })).status, 201);
      const res = await call('POST', '/consumers', { username: 'twice' });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 5);
      assert.equal(res.body.name, 'unique constraint violation');
    });

    test('malformed JSON is 400 "Cannot parse JSON body"', async () => {
      const res = await call('POST', '/services', '{"name": ', { 'content-type': 'application/json' });
      assert.deepEqual(res, { status: 400, body: { message: 'Cannot parse JSON body' } });
    });

    test('a non-UUID id for an entity without an endpoint key is a 400 invalid primary key', async () => {
      const res = await call('GET', '/ca_certificates/not-a-uuid');
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 1);
      assert.equal(res.body.name, 'invalid primary key');
      assert.deepEqual(res.body.fields, { id: 'expected a valid UUID' });
    });

    test('an unknown path is 404 and a known path with a wrong method is 405', async () => {
      assert.deepEqual(await call('GET', '/no-such-thing'), { status: 404, body: { message: 'Not found' } });
      assert.deepEqual(await call('PATCH', '/services'), {
        status: 405,
        body: { message: 'Method not allowed' },
      });
      assert.deepEqual(await call('POST', '/services/some-name'), {
        status: 405,
        body: { message: 'Method not allowed' },
      });
    });

    test('targets are not served at the top level, only under their upstream', async () => {
      assert.equal((await call('GET', '/targets')).status, 404);
    });

    test('a non-numeric page size is a 400 invalid size', async () => {
      const res = await call('GET', '/services?size=ten');
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 9);
    });
  });

  describe('form-encoded bodies', () => {
    test('a service is created from name=x&url=…', async () => {
      const res = await call('POST', '/services', 'name=form-svc&url=http://a.test', form);
      assert.equal(res.status, 201);
      assert.equal(res.body.name, 'form-svc');
      assert.equal(res.body.host, 'a.test');
    });

    test('methods[]=GET&methods[]=POST becomes an array', async () => {
      const svc = await call('POST', '/services', { name: 'form-routes', url: 'http://a.test' });
      const res = await call(
        'POST',
        `/services/${svc.body.id}/routes`,
        'paths[]=/f&methods[]=GET&methods[]=POST',
        form,
      );
      assert.equal(res.status, 201);
      assert.deepEqual(res.body.methods, ['GET', 'POST']);
      assert.deepEqual(res.body.paths, ['/f']);
    });

    test('config.minute=5 becomes a typed plugin config', async () => {
      const res = await call('POST', '/plugins', 'name=rate-limiting&config.minute=5', form);
      assert.equal(res.status, 201);
      assert.equal(res.body.config.minute, 5);
      assert.equal(res.body.config.policy, 'local');
    });
  });

  describe('pagination and tags', () => {
    test('walking next from the first page reaches every entity exactly once, and the last next is null', async () => {
      const names = Array.from({ length: 7 }, (_, i) => `page-walk-${i}`);
      for (const username of names) await call('POST', '/consumers', { username, tags: ['page-walk'] });
      const seen: string[] = [];
      let url: string | null = '/consumers?size=3&tags=page-walk';
      let pages = 0;
      while (url !== null) {
        const res = await call('GET', url);
        assert.equal(res.status, 200);
        assert.ok(res.body.data.length <= 3);
        seen.push(...res.body.data.map((c: Json) => c.username));
        if (res.body.next !== null) {
          assert.equal(typeof res.body.offset, 'string');
          assert.match(res.body.next, /^\/consumers\?offset=.+&tags=page-walk&size=3$/);
        } else assert.equal('offset' in res.body, false);
        url = res.body.next;
        pages++;
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen.sort(), names.sort());
    });

    test('tags=a,b matches entities with both tags, tags=a/b entities with either', async () => {
      await call('POST', '/consumers', { username: 'tag-ab', tags: ['tag-a', 'tag-b'] });
      await call('POST', '/consumers', { username: 'tag-a-only', tags: ['tag-a'] });
      await call('POST', '/consumers', { username: 'tag-b-only', tags: ['tag-b'] });
      const names = async (q: string) =>
        (await call('GET', `/consumers?tags=${encodeURIComponent(q)}`)).body.data
          .map((c: Json) => c.username)
          .sort();
      assert.deepEqual(await names('tag-a,tag-b'), ['tag-ab']);
      assert.deepEqual(await names('tag-a/tag-b'), ['tag-a-only', 'tag-ab', 'tag-b-only']);
    });

    test('GET /tags/{tag} lists the entities carrying the tag', async () => {
      const c = await call('POST', '/consumers', { username: 'tagged-one', tags: ['rare-tag'] });
      const res = await call('GET', '/tags/rare-tag');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, [{ entity_name: 'consumers', entity_id: c.body.id, tag: 'rare-tag' }]);
      assert.equal(res.body.next, null);
      const all = await call('GET', '/tags?size=1000');
      assert.ok(all.body.data.some((r: Json) => r.tag === 'rare-tag'));
    });
  });
}
