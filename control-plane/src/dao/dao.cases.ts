/**
 * The DAO behaviour suite, run against every datastore (dao.pglite.test.ts,
 * dao.postgres.test.ts): the same cases must pass on PGlite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  createLogger,
  ForeignKeysUnresolvedError,
  ForeignKeyViolationError,
  InvalidOffsetError,
  InvalidPrimaryKeyError,
  InvalidSizeError,
  NotFoundError,
  PrimaryKeyViolationError,
  SchemaViolationError,
  UniqueViolationError,
  verifyPassword,
} from '@turnpike/shared';
import { configRecord, definePluginSchema, type PluginSchema } from '@turnpike/shared/schema';
import { createKeyring } from '../store/keyring.ts';
import { bootstrap } from '../store/migrate.ts';
import type { Datastore } from '../store/types.ts';
import { createDao } from './dao.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../shared/src/schema/fixtures/${name}`, import.meta.url), 'utf8');

const keyAuth = definePluginSchema({
  name: 'key-auth',
  fields: {
    config: configRecord({ key_names: { type: 'array', elements: { type: 'string' }, default: ['apikey'] } }),
  },
});
const schemas: Record<string, PluginSchema> = { 'key-auth': keyAuth };
const pluginSchemas = (name: string) => schemas[name];

let counter = 0;
/** Names unique across the suite: the cases share one database. */
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${counter++}`;

export interface SuiteBackend {
  readonly name: string;
  /** A fresh, empty datastore; closed by the suite. */
  open(): Promise<Datastore>;
}

async function count(db: Datastore, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

async function changesAt(db: Datastore, version: number) {
  const { rows } = await db.query<{ entity: string; id: string; op: string }>(
    'SELECT entity, id::text AS id, op FROM config_changes WHERE version = $1 ORDER BY position',
    [version],
  );
  return rows;
}

export function daoSuite(backend: SuiteBackend): void {
  describe(`DAO on ${backend.name}`, () => {
    let db: Datastore;
    let dao: ReturnType<typeof createDao>;

    before(async () => {
      db = await backend.open();
      await bootstrap(db, createLogger({ level: 'silent' }));
      dao = createDao(db, { pluginSchemas, secrets: ['secret-a'] });
    });
    after(() => db?.close());

    it('creates a service from the url shorthand and reads it by id and by name', async () => {
      const name = unique('svc');
      const created = await dao.entity('services').insert({ name, url: 'https://api.example.com:8443/v1' });
      assert.equal(created.protocol, 'https');
      assert.equal(created.host, 'api.example.com');
      assert.equal(created.port, 8443);
      assert.equal(created.path, '/v1');
      assert.deepEqual(await dao.entity('services').get(created.id), created);
      assert.deepEqual(await dao.entity('services').get(name), created);
    });

    it('updates a service by merging onto the stored one and keeps created_at', async () => {
      const services = dao.entity('services');
      const created = await services.insert({ name: unique('svc'), host: 'a.example', retries: 1 });
      const updated = await services.update(created.id, { retries: 7 });
      assert.equal(updated.retries, 7);
      assert.equal(updated.host, 'a.example');
      assert.equal(updated.created_at, created.created_at);
      assert.deepEqual(await services.get(created.id), updated);
    });

    it('refuses to update a missing service with NotFoundError', async () => {
      await assert.rejects(dao.entity('services').update(unique('missing'), { retries: 1 }), NotFoundError);
    });

    it('upserts by name: creates, then replaces the whole entity under the same id', async () => {
      const services = dao.entity('services');
      const name = unique('svc');
      const first = await services.upsert(name, { host: 'one.example', retries: 2 });
      const second = await services.upsert(name, { host: 'two.example' });
      assert.equal(second.id, first.id);
      assert.equal(second.host, 'two.example');
      assert.equal(second.retries, 5, 'a PUT resets fields it does not give to their defaults');
      assert.equal(second.created_at, first.created_at);
    });

    it('upserts by id and refuses an insert that reuses an existing id', async () => {
      const id = randomUUID();
      const created = await dao.entity('consumers').upsert(id, { username: unique('put') });
      assert.equal(created.id, id);
      const replaced = await dao.entity('consumers').upsert(id, { custom_id: unique('cid') });
      assert.equal(replaced.username, null);
      const err = await dao
        .entity('consumers')
        .insert({ id, username: unique('again') })
        .catch((e: unknown) => e);
      assert.ok(err instanceof PrimaryKeyViolationError);
      assert.equal(err.message, `primary key violation on key '{id="${id}"}'`);
    });

    it('upserts many by id as one by one would: created_at kept, one change each, and the same errors', async () => {
      const services = dao.entity('services');
      const kept = await services.insert({ name: unique('svc'), host: 'old.example' });
      const fresh = Array.from({ length: 3 }, () => ({
        id: randomUUID(),
        name: unique('svc'),
        host: 'new.example',
      }));
      const before = await dao.configVersion();
      const written = await services.upsertMany([
        { id: kept.id, name: kept.name, host: 'kept.example' },
        ...fresh,
      ]);
      assert.equal(written, 4);
      assert.equal(await dao.configVersion(), before + 1, 'one version for the call');
      const again = await services.get(kept.id);
      assert.equal(again?.host, 'kept.example');
      assert.equal(again?.created_at, kept.created_at);
      assert.equal(again?.retries, 5, 'validated as an upsert: defaults filled');
      assert.equal((await services.get(fresh[2]!.id))?.name, fresh[2]!.name);
      assert.deepEqual(
        (await changesAt(db, before + 1)).map((c) => c.id),
        [kept.id, ...fresh.map((f) => f.id)],
      );

      await assert.rejects(
        services.upsertMany([{ id: randomUUID(), name: unique('svc'), host: 'x.example', retries: -1 }]),
        SchemaViolationError,
      );
      // A name another entity holds: the batch falls back to one by one and names the field.
      await assert.rejects(
        services.upsertMany([
          { id: randomUUID(), name: unique('svc'), host: 'y.example' },
          { id: randomUUID(), name: kept.name, host: 'y.example' },
        ]),
        (err: unknown) => err instanceof UniqueViolationError && /name/.test(err.message),
      );
      assert.equal(await dao.configVersion(), before + 1, 'a refused batch leaves nothing behind');
      // One id twice: the later wins, as it would one by one.
      const id = randomUUID();
      await services.upsertMany([
        { id, name: unique('svc'), host: 'first.example' },
        { id, name: unique('svc'), host: 'second.example' },
      ]);
      assert.equal((await services.get(id))?.host, 'second.example');
    });

    it('records the changes of one transaction in the order they were made, whatever their kind', async () => {
      const a = await dao.entity('services').insert({ name: unique('svc'), host: 'a.example' });
      const before = await dao.configVersion();
      await dao.transaction(async (tx) => {
        await tx.entity('services').delete(a.id);
        await tx.entity('services').upsert(a.id, { name: a.name, host: 'again.example' });
        await tx.entity('services').update(a.id, { retries: 2 });
      });
      assert.equal(await dao.configVersion(), before + 1);
      assert.deepEqual(
        (await changesAt(db, before + 1)).map((c) => c.op),
        ['delete', 'upsert', 'upsert'],
      );
      const b = randomUUID();
      await dao.transaction(async (tx) => {
        await tx.entity('services').upsert(b, { name: unique('svc'), host: 'b.example' });
        await tx.entity('services').delete(b);
      });
      assert.deepEqual(
        (await changesAt(db, before + 2)).map((c) => [c.id, c.op]),
        [
          [b, 'upsert'],
          [b, 'delete'],
        ],
      );
      assert.equal(await dao.entity('services').get(b), undefined);
    });

    it('does not find a child under another parent', async () => {
      const [a, b] = await Promise.all([
        dao.entity('consumers').insert({ username: unique('a') }),
        dao.entity('consumers').insert({ username: unique('b') }),
      ]);
      const acl = await dao.entity('acls').insert({ group: 'g' }, { scope: { field: 'consumer', id: a.id } });
      assert.equal(
        await dao.entity('acls').get(acl.id, { scope: { field: 'consumer', id: b.id } }),
        undefined,
      );
      await assert.rejects(
        dao.entity('acls').update(acl.id, { group: 'h' }, { scope: { field: 'consumer', id: b.id } }),
        NotFoundError,
      );
      assert.equal(
        (await dao.entity('acls').list({ scope: { field: 'consumer', id: b.id } })).data.length,
        0,
      );
    });

    it('deletes a service, and deleting it again is not an error', async () => {
      const services = dao.entity('services');
      const created = await services.insert({ name: unique('svc'), host: 'gone.example' });
      await services.delete(created.id);
      assert.equal(await services.get(created.id), undefined);
      await services.delete(created.id);
    });

    it('refuses a lookup by something that is neither a UUID nor an endpoint key', async () => {
      await assert.rejects(dao.entity('certificates').get('not-a-uuid'), InvalidPrimaryKeyError);
    });

    it('rejects an invalid entity with a SchemaViolationError naming the field', async () => {
      const err = await dao
        .entity('services')
        .insert({ name: unique('svc'), host: 'x.example', port: 70000 })
        .catch((e: unknown) => e);
      assert.ok(err instanceof SchemaViolationError);
      assert.ok(err.fields !== undefined && 'port' in err.fields);
    });

    it('reports a duplicate name as a UniqueViolationError naming the field, in Kong words', async () => {
      const name = unique('dup');
      await dao.entity('services').insert({ name, host: 'a.example' });
      const err = await dao
        .entity('services')
        .insert({ name, host: 'b.example' })
        .catch((e: unknown) => e);
      assert.ok(err instanceof UniqueViolationError);
      assert.deepEqual(err.fields, { name });
      assert.equal(err.message, `UNIQUE violation detected on '{name="${name}"}'`);
    });

    it('creates a route for a service given by id or by name', async () => {
      const service = await dao.entity('services').insert({ name: unique('svc'), host: 'r.example' });
      const byId = await dao.entity('routes').insert({ paths: ['/a'], service: { id: service.id } });
      const byName = await dao.entity('routes').insert({ paths: ['/b'], service: { name: service.name } });
      assert.deepEqual(byId.service, { id: service.id });
      assert.deepEqual(byName.service, { id: service.id });
      const page = await dao.entity('routes').list({ scope: { field: 'service', id: service.id } });
      assert.deepEqual(page.data.map((r) => r.id).sort(), [byId.id, byName.id].sort());
    });

    it('refuses a route whose service id names nothing with a ForeignKeyViolationError (Kong code 4)', async () => {
      const missing = '8f1e2d3c-4b5a-4697-8877-665544332211';
      const err = await dao
        .entity('routes')
        .insert({ paths: ['/x'], service: { id: missing } })
        .catch((e: unknown) => e);
      assert.ok(err instanceof ForeignKeyViolationError);
      assert.equal(
        err.message,
        `the foreign key '{id="${missing}"}' does not reference an existing 'services' entity.`,
      );
      assert.deepEqual(err.fields, { service: { id: missing } });
    });

    it('refuses a foreign key by a unique field that names nothing as unresolved (Kong code 13)', async () => {
      const byName = await dao
        .entity('routes')
        .insert({ paths: ['/x'], service: { name: 'no-such-service' } })
        .catch((e: unknown) => e);
      assert.ok(byName instanceof ForeignKeysUnresolvedError);
      const sentence =
        "the foreign key cannot be resolved with '{name=\"no-such-service\"}' for an existing 'services' entity";
      assert.equal(byName.message, `foreign key unresolved (service.name: ${sentence})`);
      assert.deepEqual(byName.fields, { service: { name: sentence } });
    });

    it('resolves a foreign key by any unique field of the parent, the first that names an entity', async () => {
      const consumer = await dao.entity('consumers').insert({ custom_id: unique('cid') });
      const byCustomId = await dao
        .entity('keyauth_credentials')
        .insert({ key: unique('key'), consumer: { custom_id: consumer.custom_id } });
      assert.deepEqual(byCustomId.consumer, { id: consumer.id });
      const both = await dao
        .entity('acls')
        .insert({ group: 'g', consumer: { username: 'nobody-has-this', custom_id: consumer.custom_id } });
      assert.deepEqual(both.consumer, { id: consumer.id });
      const neither = await dao
        .entity('acls')
        .insert({ group: 'g', consumer: { username: 'nobody-1', custom_id: 'nobody-2' } })
        .catch((e: unknown) => e);
      assert.ok(neither instanceof ForeignKeysUnresolvedError);
      assert.deepEqual(Object.keys(neither.fields?.consumer ?? {}).sort(), ['custom_id', 'username']);
    });

    it('refuses to delete a service that routes still reference', async () => {
      const service = await dao.entity('services').insert({ name: unique('svc'), host: 'keep.example' });
      await dao.entity('routes').insert({ paths: ['/k'], service: { id: service.id } });
      const err = await dao
        .entity('services')
        .delete(service.id)
        .catch((e: unknown) => e);
      assert.ok(err instanceof ForeignKeyViolationError);
      assert.equal(err.message, "an existing 'routes' entity references this 'services' entity");
      assert.deepEqual(err.fields, { '@referenced_by': 'routes' });
      assert.ok((await dao.entity('services').get(service.id)) !== undefined);
    });

    it('allows one plugin of a name per service, route and consumer, a missing one counting as a value', async () => {
      const plugins = dao.entity('plugins');
      const service = await dao.entity('services').insert({ name: unique('svc'), host: 'p.example' });
      await plugins.insert({ name: 'key-auth', service: { id: service.id } });
      const err = await plugins
        .insert({ name: 'key-auth', service: { id: service.id } })
        .catch((e: unknown) => e);
      assert.ok(err instanceof UniqueViolationError);
      assert.deepEqual(err.fields, {
        name: 'key-auth',
        route: null,
        service: { id: service.id },
        consumer: null,
      });
      assert.equal(
        err.message,
        `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service={id="${service.id}"}}'`,
      );
      const other = await dao.entity('services').insert({ name: unique('svc'), host: 'q.example' });
      await plugins.insert({ name: 'key-auth', service: { id: other.id } });
    });

    it('rejects a plugin that is not enabled', async () => {
      await assert.rejects(dao.entity('plugins').insert({ name: 'no-such-plugin' }), SchemaViolationError);
    });

    it('hashes a basic-auth password and keeps credentials unique', async () => {
      const consumer = await dao.entity('consumers').insert({ username: unique('user') });
      const username = unique('login');
      const credential = await dao
        .entity('basicauth_credentials')
        .insert({ username, password: 'hunter2' }, { scope: { field: 'consumer', id: consumer.id } });
      assert.notEqual(credential.password, 'hunter2');
      assert.equal(await verifyPassword('hunter2', String(credential.password)), true);
      const renamed = await dao.entity('basicauth_credentials').update(credential.id, { tags: ['x'] });
      assert.equal(renamed.password, credential.password, 'a PATCH without a password keeps the hash');
      await assert.rejects(
        dao
          .entity('basicauth_credentials')
          .insert({ username, password: 'x', consumer: { id: consumer.id } }),
        UniqueViolationError,
      );
    });

    it('deletes a consumer with its credentials and plugins, recording a delete for each', async () => {
      const consumer = await dao.entity('consumers').insert({ username: unique('user') });
      const scope = { scope: { field: 'consumer', id: consumer.id } };
      const key = await dao.entity('keyauth_credentials').insert({}, scope);
      const acl = await dao.entity('acls').insert({ group: 'admins' }, scope);
      const plugin = await dao.entity('plugins').insert({ name: 'key-auth', consumer: { id: consumer.id } });
      const before = await dao.configVersion();
      await dao.entity('consumers').delete(consumer.username as string);
      assert.equal(await dao.configVersion(), before + 1);
      const changes = await changesAt(db, before + 1);
      const deleted = changes.map((c) => `${c.op} ${c.entity} ${c.id}`).sort();
      assert.deepEqual(
        deleted,
        [
          `delete acls ${acl.id}`,
          `delete consumers ${consumer.id}`,
          `delete keyauth_credentials ${key.id}`,
          `delete plugins ${plugin.id}`,
        ].sort(),
      );
      assert.equal(await dao.entity('keyauth_credentials').get(key.id), undefined);
    });

    it('keeps targets unique per upstream and deletes them with it', async () => {
      const upstream = await dao.entity('upstreams').insert({ name: unique('up') });
      const scope = { scope: { field: 'upstream', id: upstream.id } };
      const target = await dao.entity('targets').insert({ target: '10.0.0.1' }, scope);
      assert.equal(target.target, '10.0.0.1:8000');
      await assert.rejects(
        dao.entity('targets').insert({ target: '10.0.0.1:8000' }, scope),
        UniqueViolationError,
      );
      assert.deepEqual(await dao.entity('targets').get('10.0.0.1:8000', scope), target);
      await dao.entity('upstreams').delete(upstream.id);
      assert.equal(await dao.entity('targets').get(target.id), undefined);
    });

    it('stores a certificate key encrypted and gives the PEM back, with its SNIs', async () => {
      const sni = `${unique('host')}.example.com`;
      const created = await dao
        .entity('certificates')
        .insert({ cert: fixture('rsa.crt'), key: fixture('rsa.key'), snis: [sni] });
      assert.equal(created.key, fixture('rsa.key'));
      assert.deepEqual(created.snis, [sni]);
      const { rows } = await db.query<{ key: string }>(
        "SELECT entity->>'key' AS key FROM certificates WHERE id = $1",
        [created.id],
      );
      assert.ok(rows[0]!.key.startsWith('tp1:'), 'the stored key is keyring ciphertext');
      assert.ok(!rows[0]!.key.includes('PRIVATE KEY'));
      const stored = await dao.entity('snis').get(sni);
      assert.deepEqual(stored?.certificate, { id: created.id });
      await dao.entity('certificates').delete(created.id);
      assert.equal(await dao.entity('snis').get(sni), undefined);
    });

    it('walks 250 entities in pages of 100 through the offset, missing none and repeating none', async () => {
      const tag = unique('page');
      const ids = await dao.transaction(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < 250; i++)
          out.push((await tx.entity('consumers').insert({ username: unique('p'), tags: [tag] })).id);
        return out;
      });
      const seen: string[] = [];
      const sizes: number[] = [];
      let offset: string | undefined;
      do {
        const page = await dao
          .entity('consumers')
          .list({ size: 100, tags: { all: [tag] }, ...(offset ? { offset } : {}) });
        sizes.push(page.data.length);
        seen.push(...page.data.map((c) => c.id));
        offset = page.offset;
      } while (offset !== undefined);
      assert.deepEqual(sizes, [100, 100, 50]);
      assert.equal(new Set(seen).size, 250);
      assert.deepEqual([...seen].sort(), [...ids].sort());
    });

    it('refuses a malformed offset and an out-of-range size', async () => {
      await assert.rejects(dao.entity('consumers').list({ offset: 'not an offset' }), InvalidOffsetError);
      await assert.rejects(
        dao.entity('consumers').list({ offset: Buffer.from('["x"]').toString('base64') }),
        InvalidOffsetError,
      );
      await assert.rejects(dao.entity('consumers').list({ size: 0 }), InvalidSizeError);
      await assert.rejects(dao.entity('consumers').list({ size: 1001 }), InvalidSizeError);
    });

    it('filters by tags: all of them, or any of them', async () => {
      const [a, b] = [unique('ta'), unique('tb')];
      const both = await dao.entity('services').insert({ host: 'x.example', tags: [a, b] });
      const onlyA = await dao.entity('services').insert({ host: 'x.example', tags: [a] });
      const onlyB = await dao.entity('services').insert({ host: 'x.example', tags: [b] });
      const ids = async (tags: { all?: string[]; any?: string[] }) =>
        (await dao.entity('services').list({ tags })).data.map((s) => s.id).sort();
      assert.deepEqual(await ids({ all: [a, b] }), [both.id]);
      assert.deepEqual(await ids({ any: [a, b] }), [both.id, onlyA.id, onlyB.id].sort());
    });

    it('lets exactly one of two concurrent creates of the same name succeed', async () => {
      const name = unique('race');
      const results = await Promise.allSettled([
        dao.entity('services').insert({ name, host: 'one.example' }),
        dao.entity('services').insert({ name, host: 'two.example' }),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const failed = results.find((r) => r.status === 'rejected');
      assert.ok(failed?.status === 'rejected' && failed.reason instanceof UniqueViolationError);
    });

    it('leaves tables and version unchanged when a write inside a transaction fails', async () => {
      const [services, version] = [await count(db, 'services'), await dao.configVersion()];
      const name = unique('tx');
      await assert.rejects(
        dao.transaction(async (tx) => {
          await tx.entity('services').insert({ name, host: 'ok.example' });
          await tx.entity('services').insert({ name, host: 'duplicate.example' });
        }),
        UniqueViolationError,
      );
      assert.equal(await count(db, 'services'), services);
      assert.equal(await dao.configVersion(), version);
    });

    it('bumps the version once per write and once per transaction, and not for a failed or empty one', async () => {
      const start = await dao.configVersion();
      const service = await dao.entity('services').insert({ name: unique('v'), host: 'v.example' });
      assert.equal(await dao.configVersion(), start + 1);
      await dao.transaction(async (tx) => {
        await tx.entity('routes').insert({ paths: ['/v1'], service: { id: service.id } });
        await tx.entity('routes').insert({ paths: ['/v2'], service: { id: service.id } });
        await tx.transaction((inner) => inner.entity('services').update(service.id, { retries: 1 }));
      });
      assert.equal(await dao.configVersion(), start + 2);
      assert.equal((await changesAt(db, start + 2)).length, 3);
      await assert.rejects(dao.entity('services').insert({ name: service.name, host: 'v.example' }));
      await dao.entity('services').delete('00000000-0000-4000-8000-000000000000');
      await dao.transaction(async (tx) => tx.entity('services').get(service.id));
      assert.equal(await dao.configVersion(), start + 2);
    });

    it('reads secrets written with an old key after rotation, and encrypts new ones with the new key', async () => {
      const old = await dao
        .entity('certificates')
        .insert({ cert: fixture('ec.crt'), key: fixture('ec.key') });
      const rotated = createDao(db, { pluginSchemas, secrets: ['secret-b', 'secret-a'] });
      assert.equal((await rotated.entity('certificates').get(old.id))?.key, fixture('ec.key'));
      const fresh = await rotated
        .entity('certificates')
        .insert({ cert: fixture('rsa.crt'), key: fixture('rsa.key') });
      const { rows } = await db.query<{ key: string }>(
        "SELECT entity->>'key' AS key FROM certificates WHERE id = $1",
        [fresh.id],
      );
      const [newKeyId] = (await createKeyring(['secret-b'])).keyIds;
      assert.equal(rows[0]!.key.split(':')[1], newKeyId);
      // The suite's own DAO only knows secret-a: leave nothing it cannot read.
      await rotated.entity('certificates').delete(fresh.id);
    });

    it('stores a certificate key as given without secrets_default, and reads it once a key is set', async () => {
      const keyless = createDao(db, { pluginSchemas, secrets: [] });
      const cert = await keyless
        .entity('certificates')
        .insert({ cert: fixture('ec.crt'), key: fixture('ec.key') });
      assert.equal(cert.key, fixture('ec.key'));
      const { rows } = await db.query<{ key: string }>(
        "SELECT entity->>'key' AS key FROM certificates WHERE id = $1",
        [cert.id],
      );
      assert.equal(rows[0]!.key, fixture('ec.key'));
      assert.equal((await keyless.entity('certificates').get(cert.id))?.key, fixture('ec.key'));
      // The suite's DAO has a key: it reads the plaintext one as it is.
      assert.equal((await dao.entity('certificates').get(cert.id))?.key, fixture('ec.key'));
      const encrypted = await dao
        .entity('certificates')
        .insert({ cert: fixture('rsa.crt'), key: fixture('rsa.key') });
      await assert.rejects(keyless.entity('certificates').get(encrypted.id), /secrets_default is not set/);
      await dao.entity('certificates').delete(encrypted.id);
      await dao.entity('certificates').delete(cert.id);
    });

    it('exports every entity with secrets decrypted, and reads the rows behind changes', async () => {
      const cert = await dao
        .entity('certificates')
        .insert({ cert: fixture('rsa.crt'), key: fixture('rsa.key') });
      const service = await dao.entity('services').insert({ name: unique('exp'), host: 'e.example' });
      const all = await dao.exportAll();
      assert.equal(all.certificates.find((c) => c.id === cert.id)?.key, fixture('rsa.key'));
      assert.ok(all.services.some((s) => s.id === service.id));
      assert.equal(all.certificates.find((c) => c.id === cert.id)?.snis, undefined);
      await dao.entity('services').delete(service.id);
      const changed = await dao.readChanged(db, [
        { entity: 'certificates', id: cert.id, op: 'upsert' },
        { entity: 'services', id: service.id, op: 'upsert' },
        { entity: 'services', id: service.id, op: 'delete' },
      ]);
      assert.equal(changed.length, 2);
      assert.equal(changed[0]?.row?.key, fixture('rsa.key'));
      assert.equal(changed[1]?.row, undefined);
    });
  });
}
