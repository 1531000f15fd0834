// Builds the optional native addon (build/Release/turnpike_native.node) with node-gyp, against
// the headers of the Node.js that runs this script, without any download: the machine's own
// headers (next to the running node, then npm_config_nodedir, /usr, /usr/local).
// Run by `pnpm install` (the package's install script). Without a compiler or headers it says
// why and leaves no addon: Turnpike then runs without it (see src/index.ts). `--strict` (the
// `build` script) fails instead.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const strict = process.argv.includes('--strict');

function fail(reason) {
  rmSync(join(here, 'build'), { recursive: true, force: true });
  if (strict) {
    process.stderr.write(`@turnpike/native: build failed: ${reason}\n`);
    process.exit(1);
  }
  process.stderr.write(`@turnpike/native: not built (${reason}); Turnpike runs without it\n`);
  process.exit(0);
}

if (process.platform !== 'linux') fail(`${process.platform} is not Linux`);

const nodeDirs = [
  dirname(dirname(process.execPath)),
  process.env.npm_config_nodedir,
  '/usr',
  '/usr/local',
].filter((dir) => dir !== undefined && dir !== '');
const nodeDir = nodeDirs.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')));
if (nodeDir === undefined) fail(`no Node.js headers (include/node/node_api.h) under ${nodeDirs.join(', ')}`);

function nodeGyp() {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const bundled = join(
      dirname(dirname(process.execPath)),
      'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    );
    for (const candidate of [bundled, '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js']) {
      if (existsSync(candidate)) return candidate;
    }
    return undefined;
  }
}
const gyp = nodeGyp();
if (gyp === undefined) fail('node-gyp is not installed');

const run = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodeDir}`, '--loglevel=error'], {
  cwd: here,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (run.status !== 0) {
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  fail(
    `node-gyp exited with ${run.status ?? run.signal}${run.error ? `: ${run.error.message}` : ''}\n${output}`,
  );
}
const addon = join(here, 'build', 'Release', 'turnpike_native.node');
if (!existsSync(addon)) fail(`node-gyp made no ${addon}`);
// Load it once here, so that an addon this Node.js cannot load is found at install time.
try {
  createRequire(import.meta.url)(addon);
} catch (error) {
  fail(`the built addon does not load: ${error.message}`);
}
