import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { enabledPluginNames, loadPlugins, pluginsNotEnabled } from './load.ts';

const schemaFile = (name: string) =>
  `export const schema = { name: ${JSON.stringify(name)}, fields: { config: { type: 'record', required: true, fields: {} } } };\n`;
const handlerFile = (name: string, extra = '') =>
  `export const handler = { name: ${JSON.stringify(name)}, version: '1.2.3', priority: 10${extra} };\n`;

async function plugin(root: string, name: string, files: Record<string, string>): Promise<void> {
  await mkdir(join(root, name), { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(root, name, file), text);
}

describe('plugin loader', () => {
  let bundledDir: string;
  let custom: string;
  before(async () => {
    bundledDir = await mkdtemp(join(tmpdir(), 'tp-bundled-'));
    custom = await mkdtemp(join(tmpdir(), 'tp-custom-'));
    await plugin(bundledDir, 'alpha', {
      'schema.mjs': schemaFile('alpha'),
      'handler.mjs': handlerFile('alpha'),
    });
    await plugin(custom, 'mine', { 'schema.mjs': schemaFile('mine'), 'handler.mjs': handlerFile('mine') });
    // A custom folder with the bundled name must not shadow the bundled plugin.
    await plugin(custom, 'alpha', { 'schema.mjs': 'throw new Error("custom alpha loaded");\n' });
    await plugin(custom, 'broken', { 'schema.mjs': 'export const schema = { name: "other" };\n' });
    await plugin(custom, 'schemaless', { 'handler.mjs': handlerFile('schemaless') });
    await plugin(custom, 'nohandler', {
      'schema.mjs': schemaFile('nohandler'),
      'handler.mjs': 'throw new Error("imported");\n',
    });
    await plugin(custom, 'future', {
      'schema.mjs': schemaFile('future'),
      'handler.mjs': handlerFile('future', ", sdkVersion: '2.0.0'"),
    });
  });
  after(async () => {
    await rm(bundledDir, { recursive: true, force: true });
    await rm(custom, { recursive: true, force: true });
  });

  const options = (
    enabled: string[],
    want: 'schema' | 'schema+meta' | 'handler+schema' = 'handler+schema',
  ) => ({
    enabled,
    pluginPaths: [custom],
    bundledDir,
    bundled: ['alpha'],
    want,
  });

  it('expands bundled and drops duplicates and off', () => {
    assert.deepEqual(enabledPluginNames(['bundled', 'mine', 'alpha'], ['alpha', 'beta']), [
      'alpha',
      'beta',
      'mine',
    ]);
    assert.deepEqual(enabledPluginNames(['off'], ['alpha']), []);
  });

  it('loads bundled plugins from the bundled folder first, then custom ones from plugin_paths', async () => {
    const loaded = await loadPlugins(options(['bundled', 'mine']));
    assert.deepEqual(loaded.names, ['alpha', 'mine']);
    assert.equal(loaded.plugins.get('alpha')?.dir, join(bundledDir, 'alpha'));
    assert.equal(loaded.schemas('mine')?.name, 'mine');
    assert.equal(loaded.schemas('nope'), undefined);
    assert.deepEqual(loaded.versions, [
      { name: 'alpha', version: '1.2.3' },
      { name: 'mine', version: '1.2.3' },
    ]);
  });

  it("reads the handler's version and priority for schema+meta (the control plane), and needs no handler", async () => {
    const loaded = await loadPlugins(options(['mine', 'nohandler'], 'schema+meta'));
    assert.equal(loaded.plugins.get('mine')?.handler, undefined, 'the handler is not kept');
    assert.deepEqual(loaded.available, [
      { name: 'mine', version: '1.2.3', priority: 10 },
      { name: 'nohandler' },
    ]);
    assert.deepEqual(loaded.versions, [
      { name: 'mine', version: '1.2.3' },
      { name: 'nohandler', version: '0.0.0' },
    ]);
  });

  it('imports only the schema when asked for schemas (config db_import)', async () => {
    const loaded = await loadPlugins(options(['nohandler'], 'schema'));
    assert.equal(loaded.plugins.get('nohandler')?.handler, undefined);
    assert.deepEqual(loaded.available, [{ name: 'nohandler' }]);
    await assert.rejects(
      loadPlugins(options(['nohandler'])),
      /nohandler plugin is enabled but not installed/,
    );
  });

  it("refuses a plugin that is not installed or has no schema, in Kong's words, naming the key", async () => {
    await assert.rejects(
      loadPlugins(options(['ghost', 'schemaless', 'broken'])),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'TP_CONFIG_INVALID');
        assert.match(err.message, /^plugins \(from plugins\): ghost plugin is enabled but not installed;$/m);
        // The places searched, one a line, as Kong lists the files it tried.
        assert.match(err.message, new RegExp(`^\tno plugin at '${join(custom, 'ghost')}'$`, 'm'));
        assert.match(
          err.message,
          /^plugins \(from plugins\): no configuration schema found for plugin: schemaless$/m,
        );
        assert.match(
          err.message,
          /error loading plugin schemas: on plugin 'broken' \(.*broken\/schema\.mjs\): invalid schema: name: is "other", expected 'broken'/,
        );
        return true;
      },
    );
  });

  it('refuses a handler written for another major version of the SDK', async () => {
    await assert.rejects(
      loadPlugins(options(['future'])),
      /written for plugin SDK 2\.0\.0; this node has 1\./,
    );
  });

  it('names plugins in use that are not enabled', () => {
    assert.deepEqual(pluginsNotEnabled(['a', 'b', 'a'], new Set(['b'])), [
      'a plugin is in use but not enabled',
    ]);
  });
});
