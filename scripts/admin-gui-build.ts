/**
 * Builds the Admin GUI (control-plane/admin-gui/dist) when its sources changed since the last
 * build: `npm start` and `npm test` call it, so a fresh clone serves the GUI without a manual
 * step. The stamp is a hash of everything the build reads. `--force` builds regardless.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const GUI = join(ROOT, 'control-plane/admin-gui');
const STAMP = join(GUI, 'dist/.build-stamp');
const INPUTS = ['src', 'public', 'index.html', 'vite.config.ts', 'tsconfig.json', 'package.json'];

async function files(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return [path];
  const out: string[] = [];
  for (const e of entries) out.push(...(await files(join(path, e.name))));
  return out;
}

const hash = createHash('sha256');
for (const input of INPUTS) {
  for (const file of (await files(join(GUI, input))).sort()) {
    hash
      .update(relative(GUI, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
}
hash.update(await readFile(join(ROOT, 'pnpm-lock.yaml')));
const stamp = hash.digest('hex');

const previous = await readFile(STAMP, 'utf8').catch(() => '');
if (previous === stamp && !process.argv.includes('--force')) {
  console.log('admin GUI build is up to date');
} else {
  const result = spawnSync('pnpm', ['--filter', '@turnpike/admin-gui', 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  await writeFile(STAMP, stamp);
}
