import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { runTurnpike } from '../helpers/turnpike.ts';

let pg: TestPostgres;
let dir: string;
before(async () => {
  pg = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'turnpike-declarative-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await pg[Symbol.asyncDispose]();
});

const SECRETS = { TURNPIKE_SECRETS_DEFAULT: 'e2e-declarative-secret-key' };

const FILE = `_format_version: "3.0"
services:
- name: e2e-svc
  url: http://upstream.test:8080/api
  routes:
  - name: e2e-route
    paths: [/api]
consumers:
- username: e2e-user
  keyauth_credentials:
  - key: e2e-key
  basicauth_credentials:
  - username: e2e-basic
    password: e2e-password
  acls:
  - group: e2e-group
upstreams:
- name: e2e.upstream
  targets:
  - target: 10.1.2.3:8080
routes:
- name: e2e-top-route
  service: e2e-svc
  hosts: [e2e.test]
`;

async function bootstrapped(): Promise<Record<string, string>> {
  const env = { TURNPIKE_DSN: await pg.newDatabase(), ...SECRETS };
  const boot = await runTurnpike(['migrations', 'bootstrap'], env);
  assert.equal(boot.code, 0, boot.stderr);
  return env;
}

describe('turnpike config against PostgreSQL', () => {
  test('db_import then db_export, and the export imports into an empty database unchanged', async () => {
    const env = await bootstrapped();
    const file = join(dir, 'kong.yml');
    await writeFile(file, FILE);

    const imported = await runTurnpike(['config', 'db_import', file], env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stdout,
      /parse successful, beginning import\n(imported .*\n)*imported 9\/9 entities \(100%\), [\d,]+ entities\/s\nimport successful\n$/,
      'progress as plain lines when stdout is not a terminal, the last at 100%',
    );

    const exported = await runTurnpike(['config', 'db_export'], env);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^_format_version: "3\.0"\n_transform: false\n/);
    assert.match(exported.stdout, /name: e2e-svc/);
    assert.match(exported.stdout, /key: e2e-key/);

    const backup = join(dir, 'backup.yml');
    const toFile = await runTurnpike(['config', 'db_export', backup], env);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.equal(await readFile(backup, 'utf8'), exported.stdout);
    const refused = await runTurnpike(['config', 'db_export', backup], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists/);

    const other = await bootstrapped();
    const restored = await runTurnpike(['config', 'db_import', backup], other);
    assert.equal(restored.code, 0, restored.stderr);
    const again = await runTurnpike(['config', 'db_export'], other);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, exported.stdout);
  });

  test('a bad file is refused with its path and line, and nothing is imported', async () => {
    const env = await bootstrapped();
    const file = join(dir, 'bad.yml');
    await writeFile(file, `${FILE}- name: broken\n  paths: [no-slash]\n`);
    const result = await runTurnpike(['config', 'db_import', file], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Failed parsing:/);
    assert.match(result.stderr, /bad\.yml:26: routes\[1\]\.paths\[0\]: should start with: \//);
    const exported = await runTurnpike(['config', 'db_export'], env);
    assert.equal(exported.stdout, '_format_version: "3.0"\n_transform: false\n');
  });

  test('parse validates without a database and prints Kong’s words', async () => {
    const file = join(dir, 'init.yml');
    const init = await runTurnpike(['config', 'init', file]);
    assert.equal(init.code, 0, init.stderr);
    const parsed = await runTurnpike(['config', 'parse', file]);
    assert.equal(parsed.code, 0, parsed.stderr);
    assert.equal(parsed.stdout, 'parse successful\n');
  });
});
