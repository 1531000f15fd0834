/**
 * Builds the publishable package: tsc emits JavaScript and declarations for the SDK's entry points
 * and what they import from shared/ (the schema language, the password check, the error classes),
 * into `<out>/lib`; `<out>/package.json` points `exports` and `types` there. The repository runs
 * the .ts sources directly; a plugin author installs this build (`npm pack <out>` makes the
 * tarball). Usage: `node build.ts [--out dir]` (default dist/).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const here = import.meta.dirname;
const { values } = parseArgs({ options: { out: { type: 'string', default: join(here, 'dist') } } });
const out = resolve(values.out);

const source = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')) as Record<string, unknown>;
const require = createRequire(import.meta.url);
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const built = spawnSync(
  process.execPath,
  [tsc, '-p', join(here, 'tsconfig.build.json'), '--outDir', join(out, 'lib')],
  {
    stdio: 'inherit',
  },
);
if (built.status !== 0) process.exit(built.status ?? 1);

/** `./src/x.ts` → the emitted `./lib/plugin-sdk/src/x.js` and its declarations. */
const entry = (path: string) => {
  const base = path.replace(/^\.\/src\//, './lib/plugin-sdk/src/').replace(/\.ts$/, '');
  return { types: `${base}.d.ts`, default: `${base}.js` };
};
const exports = Object.fromEntries(
  Object.entries(source.exports as Record<string, string>).map(([key, path]) => [key, entry(path)]),
);
const manifest = {
  name: source.name,
  version: source.version,
  description: source.description,
  license: source.license,
  type: 'module',
  exports,
  types: exports['.']!.types,
  files: ['lib', 'README.md'],
  engines: source.engines,
  // Only `@turnpike/plugin-sdk/redis` needs it; on a node the SDK (and ioredis) is the node's own.
  peerDependencies: source.dependencies,
  peerDependenciesMeta: Object.fromEntries(
    Object.keys((source.dependencies as Record<string, string> | undefined) ?? {}).map((d) => [
      d,
      { optional: true },
    ]),
  ),
  keywords: ['turnpike', 'kong', 'api-gateway', 'plugin', 'sdk'],
};
writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
copyFileSync(join(here, 'README.md'), join(out, 'README.md'));
process.stdout.write(`built ${manifest.name}@${manifest.version} into ${out}\n`);
