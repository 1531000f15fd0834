import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger, UniqueViolationError } from '@turnpike/shared';
import { createDao } from '../dao/dao.ts';
import type { SnapshotReader } from '../dao/snapshot-read.ts';
import type { Dao } from '../dao/types.ts';
import { bootstrap } from '../store/migrate.ts';
import { openPglite } from '../store/pglite.ts';
import type { Datastore } from '../store/types.ts';
import { exportDeclarative } from './export.ts';
import { importDeclarative } from './import.ts';
import { parseDeclarative } from './parse.ts';
import { certificateFixture, testPluginSchemas as pluginSchemas } from './testing.ts';

type TestDb = { datastore: Datastore; dao: Dao & SnapshotReader };
const opened: Datastore[] = [];

async function freshDb(): Promise<TestDb> {
  const datastore = await openPglite(undefined);
  opened.push(datastore);
  await bootstrap(datastore, createLogger({ level: 'silent' }));
  return {
    datastore,
    dao: createDao(datastore, { pluginSchemas, secrets: ['declarative-test-secret-0123'] }),
  };
}

after(async () => {
  for (const d of opened) await d.close();
});

function indent(text: string, spaces: number): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => ' '.repeat(spaces) + l)
    .join('\n');
}

const FULL = `_format_version: "3.0"
certificates:
- cert: |
${indent(certificateFixture('rsa.crt'), 4)}
  key: |
${indent(certificateFixture('rsa.key'), 4)}
  snis:
  - name: a.example.test
  - name: b.example.test
ca_certificates:
- cert: |
${indent(certificateFixture('ca.crt'), 4)}
services:
- name: svc-a
  url: http://a.test:8080/base
  tags: [team-a]
  routes:
  - name: route-a
    paths: [/a]
    plugins:
    - name: key-auth
  plugins:
  - name: rate-limiting
    config: { minute: 10 }
- name: svc-b
  host: b.test
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
  basicauth_credentials:
  - username: alice-basic
    password: s3cret
  jwt_secrets:
  - key: alice-iss
    secret: alice-jwt-secret
  acls:
  - group: admins
  plugins:
  - name: rate-limiting
    config: { hour: 5 }
upstreams:
- name: up.test
  targets:
  - target: 10.0.0.1:8080
  - target: 10.0.0.2
routes:
- name: route-b
  service: svc-b
  hosts: [b.test]
`;

async function counts(datastore: Datastore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'services',
    'routes',
    'plugins',
    'consumers',
    'keyauth_credentials',
    'targets',
    'snis',
  ]) {
    const { rows } = await datastore.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    out[table] = rows[0]?.n ?? -1;
  }
  return out;
}

describe('importDeclarative', () => {
  let db: TestDb;
  before(async () => {
    db = await freshDb();
  });

  test('writes every entity with its foreign keys, bumping the config version once', async () => {
    const before = await db.dao.configVersion();
    await importDeclarative(db.dao, parseDeclarative(FULL, { pluginSchemas }));
    assert.equal(await db.dao.configVersion(), before + 1);
    assert.deepEqual(await counts(db.datastore), {
      services: 2,
      routes: 2,
      plugins: 3,
      consumers: 1,
      keyauth_credentials: 1,
      targets: 2,
      snis: 2,
    });
    const route = await db.dao.entity('routes').get('route-a');
    const svc = await db.dao.entity('services').get('svc-a');
    assert.deepEqual(route?.service, { id: svc?.id });
    const cert = (await db.dao.entity('certificates').list()).data[0];
    assert.deepEqual(cert?.snis, ['a.example.test', 'b.example.test']);
  });

  test('a write that fails half-way leaves nothing behind and the version unchanged', async () => {
    const fresh = await freshDb();
    // The database already holds a consumer named bob under another id: the upsert of the
    // third entity of the file breaks the unique constraint.
    await fresh.dao.entity('consumers').insert({ username: 'bob' });
    const version = await fresh.dao.configVersion();
    const before = await counts(fresh.datastore);
    const config = parseDeclarative(
      `_format_version: "3.0"
services:
- name: first
  host: first.test
  routes:
  - paths: [/first]
consumers:
- username: bob
  id: 0b9f3b8e-9c1e-4f0a-8a51-2a8f3b1e7c11
`,
      { pluginSchemas },
    );
    await assert.rejects(importDeclarative(fresh.dao, config), UniqueViolationError);
    assert.deepEqual(await counts(fresh.datastore), before);
    assert.equal(await fresh.dao.configVersion(), version);
  });
});

describe('exportDeclarative', () => {
  test('export → import into an empty database → export is byte-for-byte the same', async () => {
    const source = await freshDb();
    await importDeclarative(source.dao, parseDeclarative(FULL, { pluginSchemas }));
    const first = await exportDeclarative(source.dao);
    assert.match(first, /^_format_version: "3\.0"\n_transform: false\n/);
    assert.match(first, /alice-jwt-secret/, 'secrets are exported in clear: it is a backup');
    assert.doesNotMatch(first, /updated_at/);

    const target = await freshDb();
    await importDeclarative(target.dao, parseDeclarative(first, { filename: 'kong.yml', pluginSchemas }));
    const second = await exportDeclarative(target.dao);
    assert.equal(second, first);
    assert.deepEqual(await counts(target.datastore), await counts(source.datastore));
  });

  test('the basic-auth password hash survives the round trip without being hashed again', async () => {
    const source = await freshDb();
    await importDeclarative(source.dao, parseDeclarative(FULL, { pluginSchemas }));
    const exported = await exportDeclarative(source.dao, { format: 'json' });
    const doc = JSON.parse(exported) as { basicauth_credentials: { password: string }[] };
    const hash = doc.basicauth_credentials[0]?.password;
    assert.match(hash ?? '', /^\$scrypt\$/);
    const target = await freshDb();
    await importDeclarative(target.dao, parseDeclarative(exported, { filename: 'kong.json', pluginSchemas }));
    const stored = (await target.dao.entity('basicauth_credentials').list()).data[0];
    assert.equal(stored?.password, hash);
  });
});

describe('importDeclarative in replace mode', () => {
  test('entities absent from the new file are deleted and a name can move to a new entity', async () => {
    const db = await freshDb();
    await importDeclarative(db.dao, parseDeclarative(FULL, { pluginSchemas }));
    const oldB = await db.dao.entity('services').get('svc-b');
    const version = await db.dao.configVersion();
    const next = `_format_version: "3.0"
services:
- name: svc-a
  url: http://a.test:8080/base
  routes:
  - name: route-a
    paths: [/a]
- name: svc-b
  id: 3a1d0c5e-2f4b-4c8e-9d7a-6b5e4f3a2b10
  host: new-b.test
routes:
- name: route-b
  service: svc-b
  hosts: [b.test]
`;
    await importDeclarative(db.dao, parseDeclarative(next, { pluginSchemas }), { mode: 'replace' });
    assert.equal(await db.dao.configVersion(), version + 1);
    assert.deepEqual(await counts(db.datastore), {
      services: 2,
      routes: 2,
      plugins: 0,
      consumers: 0,
      keyauth_credentials: 0,
      targets: 0,
      snis: 0,
    });
    const newB = await db.dao.entity('services').get('svc-b');
    assert.notEqual(newB?.id, oldB?.id);
    assert.equal(newB?.host, 'new-b.test');
    const routeB = await db.dao.entity('routes').get('route-b');
    assert.deepEqual(routeB?.service, { id: '3a1d0c5e-2f4b-4c8e-9d7a-6b5e4f3a2b10' });
  });
});
