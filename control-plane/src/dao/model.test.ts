import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@turnpike/shared';
import { bootstrap } from '../store/migrate.ts';
import { openPglite } from '../store/pglite.ts';
import type { Datastore } from '../store/types.ts';
import { ENTITY_NAMES, referencesTo, tableModel } from './model.ts';
import { decodeOffset, encodeOffset } from './pagination.ts';

describe('the table model', () => {
  it('gives foreign keys an _id column and the cascade the schema asks for', () => {
    const plugins = tableModel('plugins');
    assert.deepEqual(
      plugins.foreign.map((r) => [r.field, r.column, r.cascade]),
      [
        ['route', 'route_id', true],
        ['service', 'service_id', true],
        ['consumer', 'consumer_id', true],
      ],
    );
    assert.equal(tableModel('routes').foreign[0]?.cascade, false);
  });

  it('knows which entities a delete cascades to', () => {
    assert.deepEqual(
      referencesTo('consumers')
        .map((r) => r.entity)
        .sort(),
      [
        'acls',
        'basicauth_credentials',
        'hmacauth_credentials',
        'jwt_secrets',
        'keyauth_credentials',
        'oauth2_credentials',
        'plugins',
      ],
    );
  });

  it('marks secrets to encrypt and passwords to hash, and leaves virtual fields out', () => {
    assert.deepEqual(tableModel('certificates').encrypted, ['key', 'key_alt']);
    assert.deepEqual(tableModel('certificates').virtual, ['snis']);
    assert.deepEqual(tableModel('basicauth_credentials').hashed, ['password']);
    assert.ok(!tableModel('certificates').columns.some((c) => c.field === 'snis'));
  });
});

describe('the entity migrations (001_entities, 004_hmac_auth, 005_oauth2)', () => {
  let db: Datastore;
  before(async () => {
    db = await openPglite(undefined);
    await bootstrap(db, createLogger({ level: 'silent' }));
  });
  after(() => db?.close());

  it('has a column for every key field of every entity', async () => {
    const { rows } = await db.query<{ t: string; c: string }>(
      "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'",
    );
    const columns = new Set(rows.map((r) => `${r.t}.${r.c}`));
    for (const name of ENTITY_NAMES) {
      for (const column of [
        'id',
        'created_at',
        'updated_at',
        'tags',
        'entity',
        ...tableModel(name).columns.map((c) => c.column),
      ]) {
        assert.ok(columns.has(`${name}.${column}`), `${name}.${column} is missing`);
      }
    }
  });

  it('enforces every unique key under the constraint name the DAO maps errors from', async () => {
    const { rows } = await db.query<{ name: string }>(
      'SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indisunique',
    );
    const names = new Set(rows.map((r) => r.name));
    for (const name of ENTITY_NAMES) {
      for (const unique of tableModel(name).uniques)
        assert.ok(names.has(unique.constraint), unique.constraint);
    }
  });

  it('declares every foreign key with the on-delete action of the schema', async () => {
    const { rows } = await db.query<{ name: string; action: string }>(
      "SELECT conname AS name, confdeltype::text AS action FROM pg_constraint WHERE contype = 'f'",
    );
    const actions = new Map(rows.map((r) => [r.name, r.action]));
    for (const name of ENTITY_NAMES) {
      for (const reference of tableModel(name).foreign) {
        assert.equal(actions.get(reference.constraint), reference.cascade ? 'c' : 'r', reference.constraint);
      }
    }
  });
});

describe('Kong message helpers', () => {
  it('round-trips a page offset and refuses one it did not make', () => {
    const id = '0b6f3c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b';
    assert.equal(decodeOffset(encodeOffset(id)), id);
    assert.throws(() => decodeOffset('%%%'));
  });
});
