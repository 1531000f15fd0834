import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, runProgram } from '../helpers/turnpike.ts';

// The published form of @turnpike/plugin-sdk: built (tsc: JavaScript + declarations), packed by
// npm, installed from the tarball into a plugin project outside the repository, where a
// TypeScript plugin type-checks against it and its test runs with the SDK's harness.

let dir: string;
let tarball: string;
const SDK_DIR = join(REPO_ROOT, 'shared/plugin-sdk');
const TSC = join(SDK_DIR, 'node_modules/typescript/bin/tsc');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-sdk-package-'));
  assert.ok(!dir.startsWith(REPO_ROOT), 'the plugin project is outside the repository');
  const build = await runProgram(process.execPath, [join(SDK_DIR, 'build.ts'), '--out', join(dir, 'build')]);
  assert.equal(build.code, 0, build.stderr);
  const pack = await runProgram(
    'npm',
    ['pack', join(dir, 'build'), '--pack-destination', dir, '--json'],
    {},
    dir,
  );
  assert.equal(pack.code, 0, pack.stderr);
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, packed!.filename);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PLUGIN = {
  'schema.ts': `import { configRecord, definePluginSchema, type PluginConfigOf } from '@turnpike/plugin-sdk';
export const schema = definePluginSchema({
  name: 'stamp',
  fields: { config: configRecord({ header: { type: 'string', default: 'X-Stamp' } }) },
});
export type StampConfig = PluginConfigOf<typeof schema>;
`,
  'handler.ts': `import { definePluginHandler, SDK_VERSION } from '@turnpike/plugin-sdk';
import type { StampConfig } from './schema.ts';
export const handler = definePluginHandler<StampConfig>({
  name: 'stamp',
  version: '1.0.0',
  priority: 900,
  sdkVersion: SDK_VERSION,
  access(ctx, conf) {
    ctx.setUpstreamHeader(conf.header, ctx.request.method);
  },
});
`,
  'handler.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPlugin } from '@turnpike/plugin-sdk/testing';
import { handler } from './handler.ts';
import { schema } from './schema.ts';
test('stamps the method', async () => {
  const result = await runPlugin({ handler, schema }, { request: { method: 'PUT' } });
  assert.equal(result.upstream.headers['x-stamp'], 'PUT');
});
`,
};

async function pluginProject(name: string, extra: Record<string, string> = {}): Promise<string> {
  const project = join(dir, name);
  await mkdir(project, { recursive: true });
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      devDependencies: { '@turnpike/plugin-sdk': `file:${tarball}` },
    }),
  );
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        noEmit: true,
        strict: true,
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
      },
      include: ['*.ts'],
    }),
  );
  for (const [file, text] of Object.entries({ ...PLUGIN, ...extra }))
    await writeFile(join(project, file), text);
  const install = await runProgram('npm', ['install', '--offline', '--no-audit', '--no-fund'], {}, project);
  assert.equal(install.code, 0, install.stderr);
  return project;
}

describe('@turnpike/plugin-sdk as published', () => {
  test('the tarball holds compiled JavaScript and declarations, and depends on nothing', async () => {
    const project = await pluginProject('inspect');
    const installed = join(project, 'node_modules/@turnpike/plugin-sdk');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
      dependencies?: unknown;
    };
    assert.equal(manifest.dependencies, undefined);
    for (const entry of Object.values(manifest.exports)) {
      assert.ok(existsSync(join(installed, entry.default)), entry.default);
      assert.ok(existsSync(join(installed, entry.types)), entry.types);
      assert.match(entry.default, /\.js$/);
    }
  });

  test('a TypeScript plugin outside the repository type-checks against it and its harness test passes', async () => {
    const project = await pluginProject('stamp');
    const checked = await runProgram(process.execPath, [TSC, '-p', project], {}, project);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    const tested = await runProgram(process.execPath, ['--test', 'handler.test.ts'], {}, project);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout + tested.stderr, /pass 1/);
  });

  test('the declarations are real: a handler without a version does not type-check', async () => {
    const project = await pluginProject('broken', {
      'broken.ts': `import { definePluginHandler } from '@turnpike/plugin-sdk';
export const handler = definePluginHandler({ name: 'broken', priority: 1 });
`,
    });
    const checked = await runProgram(process.execPath, [TSC, '-p', project], {}, project);
    assert.notEqual(checked.code, 0);
    assert.match(checked.stdout, /broken\.ts.*version/s);
  });
});
