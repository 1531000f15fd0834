/**
 * `turnpike plugin init <name>`: a plugin folder to start from — a schema, a handler, a test with
 * the SDK's harness, package.json (the SDK as a peer and dev dependency, `"turnpike": {"plugin"}`)
 * and a README saying how to test, pack, sign, install and enable it.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SDK_VERSION } from '@turnpike/plugin-sdk';
import { PluginPackageError } from '@turnpike/shared';
import semver from 'semver';

const NAME = /^[a-z][a-z0-9-]*$/;

function files(name: string): Record<string, string> {
  const sdkRange = `^${semver.major(SDK_VERSION)}.${semver.minor(SDK_VERSION)}.0`;
  return {
    'package.json': `${JSON.stringify(
      {
        name: `turnpike-plugin-${name}`,
        version: '0.1.0',
        description: `The ${name} plugin for Turnpike`,
        type: 'module',
        turnpike: { plugin: name },
        files: ['handler.ts', 'schema.ts', 'README.md'],
        scripts: { test: 'node --test', pack: 'turnpike plugin pack .' },
        peerDependencies: { '@turnpike/plugin-sdk': sdkRange },
        devDependencies: { '@turnpike/plugin-sdk': sdkRange, '@types/node': '^24.0.0' },
        engines: { node: '>=22.18' },
      },
      null,
      2,
    )}\n`,
    'schema.ts': `import { configRecord, definePluginSchema, type PluginConfigOf } from '@turnpike/plugin-sdk';

/** The plugin's configuration, validated by the Admin API and again by each data plane. */
export const schema = definePluginSchema({
  name: '${name}',
  fields: {
    config: configRecord({
      header_name: { type: 'string', default: 'X-${name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => `${dash}${c.toUpperCase()}`)}' },
      header_value: { type: 'string', default: 'hello' },
    }),
  },
});

export type Config = PluginConfigOf<typeof schema>;
`,
    'handler.ts': `import { definePluginHandler, type PluginContext, SDK_VERSION } from '@turnpike/plugin-sdk';
import type { Config } from './schema.ts';

/** Adds a header to the request sent to the service (the access phase). */
export const handler = definePluginHandler<Config>({
  name: '${name}',
  version: '0.1.0',
  /** Higher runs first: key-auth is 1250, acl 950. */
  priority: 1000,
  sdkVersion: SDK_VERSION,
  access(ctx: PluginContext, conf: Config) {
    ctx.setUpstreamHeader(conf.header_name, conf.header_value);
  },
});
`,
    'handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPlugin } from '@turnpike/plugin-sdk/testing';
import { handler } from './handler.ts';
import { schema } from './schema.ts';

test('adds the configured header to the request the service gets', async () => {
  const result = await runPlugin({ handler, schema }, { config: { header_value: 'hi' } });
  assert.equal(result.exit, undefined);
  assert.equal(result.upstream.headers['${`x-${name}`}'], 'hi');
});
`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'es2024',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          noEmit: true,
          strict: true,
          allowImportingTsExtensions: true,
          verbatimModuleSyntax: true,
          erasableSyntaxOnly: true,
          types: ['node'],
        },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
    'README.md': `# ${name}

A Turnpike plugin (see Turnpike's docs/plugins.md).

\`\`\`sh
npm install                                   # the SDK, for the editor, type checks and tests
npm test                                      # node --test: handler.test.ts with the SDK's harness
turnpike plugin pack .                        # ${name}-0.1.0.tgz, with its manifest
turnpike plugin sign ${name}-0.1.0.tgz --key signing.pem
turnpike plugin install ${name}-0.1.0.tgz --verify-key signing.pub   # on each node
\`\`\`

Then enable it on every node (control planes and data planes): \`plugins = bundled,${name}\`
(\`TURNPIKE_PLUGINS=bundled,${name}\`), restart, and configure it through the Admin API:

\`\`\`sh
curl -X POST localhost:8001/services/example/plugins -d name=${name} -d config.header_value=hi
\`\`\`
`,
  };
}

/** Writes the template into `<parent>/<name>/`; refuses an existing folder or a bad name. */
export async function writeTemplate(name: string, parent = '.'): Promise<string> {
  if (!NAME.test(name)) {
    throw new PluginPackageError(
      `'${name}' is not a plugin name: a lowercase letter, then lowercase letters, digits and '-'`,
    );
  }
  const dir = resolve(parent, name);
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (exists) throw new PluginPackageError(`${dir} already exists`);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files(name))) await writeFile(join(dir, file), text);
  return dir;
}
