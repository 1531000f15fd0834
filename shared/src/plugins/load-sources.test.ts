import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SDK_VERSION } from '@turnpike/plugin-sdk';
import { createLogger } from '../log.ts';
import { loadPlugins } from './load.ts';
import { nodeSdkUrl } from './module-hooks.ts';

// Plugins where a node finds them, all in temporary folders outside the repository and without
// a node_modules of their own: the SDK they import is the node's (the module hooks).

const TS_SCHEMA = (
  name: string,
  type = 'string',
) => `import { configRecord, definePluginSchema } from '@turnpike/plugin-sdk';
export const schema = definePluginSchema({
  name: '${name}',
  fields: { config: configRecord({ greeting: { type: '${type}', default: 'hi' } }) },
});
`;
const TS_HANDLER = (
  name: string,
) => `import { definePluginHandler, SDK_VERSION, type PluginContext } from '@turnpike/plugin-sdk';
interface Conf { greeting: string }
export const handler = definePluginHandler<Conf>({
  name: '${name}',
  version: '2.1.0',
  priority: 800,
  sdkVersion: SDK_VERSION,
  access(ctx: PluginContext, conf: Conf) {
    ctx.setUpstreamHeader('X-Greeting', conf.greeting);
  },
});
export const sdkSeen = import.meta.resolve('@turnpike/plugin-sdk');
`;
const KONG_JS = `'use strict';
class KongPlugin {
  constructor(config) { this.config = config }
  async access(kong) {
    await kong.response.setHeader('x-hello', this.config.message || 'hello');
  }
}
module.exports = { Plugin: KongPlugin, Schema: [{ message: { type: 'string' } }], Version: '0.1.0', Priority: 12 };
`;

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe('plugin loader: where plugins live', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tp-sources-'));
    await write(root, {
      'paths/greeter/schema.ts': TS_SCHEMA('greeter'),
      'paths/greeter/handler.ts': TS_HANDLER('greeter'),
      'paths/js-hello.js': KONG_JS,
      'paths/typo/schema.ts': TS_SCHEMA('typo', 'strng'),
      'paths/typo/handler.ts': TS_HANDLER('typo'),
      'paths/badversion/schema.ts': TS_SCHEMA('badversion'),
      'paths/badversion/handler.mjs':
        "export const handler = { name: 'badversion', version: '1.0', priority: 1 };\n",
      'modules/turnpike-plugin-npm-ts/package.json': JSON.stringify({
        name: 'turnpike-plugin-npm-ts',
        type: 'module',
      }),
      'modules/turnpike-plugin-npm-ts/schema.ts': TS_SCHEMA('npm-ts'),
      'modules/turnpike-plugin-npm-ts/handler.ts': TS_HANDLER('npm-ts'),
      'modules/@acme/gateway-stamp/package.json': JSON.stringify({
        name: '@acme/gateway-stamp',
        type: 'module',
        turnpike: { plugin: 'stamp', handler: 'dist/handler.js', schema: 'dist/schema.js' },
      }),
      'modules/@acme/gateway-stamp/dist/schema.js':
        "export const schema = { name: 'stamp', fields: { config: { type: 'record', required: true, fields: {} } } };\n",
      'modules/@acme/gateway-stamp/dist/handler.js':
        "export const handler = { name: 'stamp', version: '0.3.0', priority: 5, access() {} };\n",
    });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const load = (enabled: string[], log = createLogger({ level: 'silent' })) =>
    loadPlugins({
      enabled,
      pluginPaths: [join(root, 'paths')],
      nodeModules: [join(root, 'modules')],
      bundledDir: join(root, 'none'),
      bundled: [],
      want: 'handler+schema',
      log,
    });

  it('a TypeScript plugin on plugin_paths imports the SDK the node runs with', async () => {
    const loaded = await load(['greeter']);
    const plugin = loaded.plugins.get('greeter');
    assert.equal(plugin?.handler?.version, '2.1.0');
    assert.equal(plugin?.origin, 'plugin_paths');
    const mod = (await import(join(root, 'paths/greeter/handler.ts'))) as { sdkSeen: string };
    assert.equal(mod.sdkSeen, nodeSdkUrl(), 'the node SDK, though the plugin has no node_modules');
    assert.equal(plugin?.handler?.sdkVersion, SDK_VERSION);
  });

  it('npm packages: turnpike-plugin-<name> (TypeScript inside node_modules) and one declaring "turnpike": {"plugin"}', async () => {
    const loaded = await load(['npm-ts', 'stamp']);
    assert.equal(loaded.plugins.get('npm-ts')?.origin, 'node_modules');
    assert.equal(loaded.plugins.get('npm-ts')?.handler?.priority, 800);
    assert.equal(loaded.plugins.get('stamp')?.handler?.version, '0.3.0');
    assert.equal(loaded.plugins.get('stamp')?.file, join(root, 'modules/@acme/gateway-stamp/dist/schema.js'));
  });

  it("a module in the shape of Kong's JS plugin server, as a single file", async () => {
    const loaded = await load(['js-hello']);
    const plugin = loaded.plugins.get('js-hello');
    assert.equal(plugin?.handler?.priority, 12);
    assert.deepEqual(Object.keys(plugin?.schema.fields.config.fields ?? {}), ['message']);
    assert.equal(typeof plugin?.handler?.access, 'function');
  });

  it('an unknown field type stops the load naming the plugin, the field and the file', async () => {
    await assert.rejects(load(['typo']), (err: Error) => {
      assert.match(
        err.message,
        /on plugin 'typo' \(.*paths\/typo\/schema\.ts\): invalid schema: config\.greeting\.type: unknown type "strng"/,
      );
      return true;
    });
  });

  it("a VERSION that is not x.y.z is refused in Kong's words", async () => {
    await assert.rejects(
      load(['badversion']),
      /Plugin "badversion" cannot be loaded because its VERSION field does not follow the "x\.y\.z" format, got: "1\.0"\./,
    );
  });

  it('logs "Loading plugin: <name>" at debug with its version and path', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } });
    await load(['greeter', 'js-hello'], log);
    const loading = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => String(l.msg).startsWith('Loading plugin: '));
    assert.deepEqual(loading.map((l) => [l.msg, l.version, l.path]).sort(), [
      ['Loading plugin: greeter', '2.1.0', join(root, 'paths/greeter/schema.ts')],
      ['Loading plugin: js-hello', '0.1.0', join(root, 'paths/js-hello.js')],
    ]);
  });
});
