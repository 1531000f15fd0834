/**
 * The corpus of real-world declarative files (test/fixtures/declarative, sources in its README):
 * each goes through `turnpike config parse`, which must load it or refuse it with exactly the
 * errors corpus.ts lists (missing plugins by name, Kong's messages otherwise). A file that loads
 * then goes through `turnpike config db_import` and `db_export` on PostgreSQL, and its export
 * must import again unchanged (byte for byte), on PostgreSQL and on the embedded datastore.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDao } from '@turnpike/control-plane/dao';
import { exportDeclarative, importDeclarative, parseDeclarative } from '@turnpike/control-plane/declarative';
import { bootstrap, type DatastoreTarget, openDatastore } from '@turnpike/control-plane/store';
import { BUNDLED_PLUGINS, BUNDLED_PLUGINS_DIR } from '@turnpike/data-plane/plugins/bundled';
import { createLogger } from '@turnpike/shared';
import { loadPlugins } from '@turnpike/shared/plugins';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import { CORPUS, type CorpusCase, PLUGIN_ENTITIES } from '../fixtures/declarative/corpus.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { REPO_ROOT, runTurnpike } from '../helpers/turnpike.ts';

const DIR = join(REPO_ROOT, 'test/fixtures/declarative');
const SECRETS = ['e2e-declarative-corpus-secret'];
const log = createLogger({ level: 'silent' });

let pg: TestPostgres;
let pluginSchemas: PluginSchemaLookup;
before(async () => {
  pg = await startPostgres();
  const loaded = await loadPlugins({
    enabled: ['bundled'],
    pluginPaths: [],
    bundledDir: BUNDLED_PLUGINS_DIR,
    bundled: BUNDLED_PLUGINS,
    want: 'schema',
    source: 'test',
  });
  pluginSchemas = loaded.schemas;
});
after(() => pg[Symbol.asyncDispose]());

const NOT_ENABLED = /^[^:]+: plugin '([^']+)' not enabled; add it to the 'plugins' configuration property$/;
const UNKNOWN_ENTITY = /^(?:\w+\[\d+\]\.)?(\w+): unknown field$/;

/** `kong.yml:12: services[0].name: …` → `services[0].name: …` */
function errorLines(stderr: string, file: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(`${file}:`))
    .map((l) => l.slice(file.length + 1).replace(/^\d+: /, ''));
}

function classify(lines: readonly string[]) {
  const missing = new Set<string>();
  const others: string[] = [];
  for (const line of lines) {
    const plugin = NOT_ENABLED.exec(line)?.[1];
    const entity = UNKNOWN_ENTITY.exec(line)?.[1];
    if (plugin !== undefined) missing.add(plugin);
    else if (entity !== undefined && PLUGIN_ENTITIES[entity] !== undefined)
      missing.add(PLUGIN_ENTITIES[entity]);
    else others.push(line);
  }
  return { missing: [...missing].sort(), others: others.sort() };
}

const loads = (c: CorpusCase) => (c.missingPlugins ?? []).length === 0 && (c.errors ?? []).length === 0;

/** Imports `text` into a fresh database of `target` (bootstrapped here) and exports it. */
async function importThenExport(target: DatastoreTarget, text: string, filename: string): Promise<string> {
  const db = await openDatastore(target, { log });
  try {
    await bootstrap(db, log);
    const dao = createDao(db, { pluginSchemas, secrets: SECRETS });
    await importDeclarative(dao, parseDeclarative(text, { filename, pluginSchemas }));
    return await exportDeclarative(dao);
  } finally {
    await db.close();
  }
}

describe('the declarative corpus', () => {
  for (const corpusCase of CORPUS) {
    const { file } = corpusCase;
    const path = join(DIR, file);

    if (!loads(corpusCase)) {
      test(`${file} is refused, for exactly the missing plugins and errors corpus.ts lists`, async () => {
        const parsed = await runTurnpike(['config', 'parse', path]);
        assert.equal(parsed.code, 1, `${file} now parses: update corpus.ts (it loads)\n${parsed.stdout}`);
        assert.match(parsed.stderr, /^Error: Failed parsing:\n/);
        const { missing, others } = classify(errorLines(parsed.stderr, path));
        assert.deepEqual(
          missing,
          [...(corpusCase.missingPlugins ?? [])].sort(),
          'the plugins this file lacks (a plugin that landed leaves the list)',
        );
        assert.deepEqual(others, (corpusCase.errors ?? []).map((e) => e.line).sort());
      });
      continue;
    }

    test(`${file} loads, imports and round-trips through db_import / db_export`, async () => {
      const parsed = await runTurnpike(['config', 'parse', path]);
      assert.equal(parsed.code, 0, parsed.stderr);
      assert.equal(parsed.stdout, 'parse successful\n');

      // The CLI, on PostgreSQL.
      const env = { TURNPIKE_DSN: await pg.newDatabase(), TURNPIKE_SECRETS_DEFAULT: SECRETS[0]! };
      const boot = await runTurnpike(['migrations', 'bootstrap'], env);
      assert.equal(boot.code, 0, boot.stderr);
      const imported = await runTurnpike(['config', 'db_import', path], env);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /import successful/);
      const exported = await runTurnpike(['config', 'db_export'], env);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, /^_format_version: "3\.0"\n_transform: false\n/);
      for (const expected of corpusCase.exported ?? []) assert.match(exported.stdout, expected);

      // Its export imports into an empty database unchanged, on PostgreSQL and on PGlite.
      const again = await importThenExport(
        { kind: 'postgres', connectionString: await pg.newDatabase() },
        exported.stdout,
        'kong.yml',
      );
      assert.equal(again, exported.stdout);
      const text = await readFile(path, 'utf8');
      const first = await importThenExport({ kind: 'memory' }, text, file);
      for (const expected of corpusCase.exported ?? []) assert.match(first, expected);
      assert.equal(await importThenExport({ kind: 'memory' }, first, 'kong.yml'), first);
    });
  }

  test('a refused file is not imported: db_import leaves the database as it was', async () => {
    const env = { TURNPIKE_DSN: await pg.newDatabase(), TURNPIKE_SECRETS_DEFAULT: SECRETS[0]! };
    assert.equal((await runTurnpike(['migrations', 'bootstrap'], env)).code, 0);
    const refused = await runTurnpike(['config', 'db_import', join(DIR, 'vps-3.0.yml')], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /services\[0\]\.send_timeout: unknown field/);
    const exported = await runTurnpike(['config', 'db_export'], env);
    assert.equal(exported.stdout, '_format_version: "3.0"\n_transform: false\n');
  });
});
