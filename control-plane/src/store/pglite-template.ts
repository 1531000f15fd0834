/**
 * A fresh PGlite cluster, kept as a tarball in the temporary folder: `initdb` in WebAssembly is
 * what makes an in-memory PGlite slow to open (seconds, tens on a busy machine), while loading
 * an initialised data directory takes a fraction of that. Keyed by the PGlite version, written
 * atomically; any problem with it falls back to a plain create.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

async function pgliteVersion(): Promise<string> {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  for (let i = 0; i < 5; i++) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (pkg !== undefined) {
      const parsed = JSON.parse(pkg) as { name?: string; version?: string };
      if (parsed.name === '@electric-sql/pglite' && parsed.version !== undefined) return parsed.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** An in-memory PGlite, from the cached fresh cluster when there is one (and leaving one when not). */
export async function createMemoryPglite(): Promise<PGlite> {
  const version = await pgliteVersion();
  const template = join(tmpdir(), `turnpike-pglite-${version}-fresh.tar`);
  const cached = version === 'unknown' ? undefined : await readFile(template).catch(() => undefined);
  if (cached !== undefined) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([cached]) });
    } catch {
      // A damaged template: make a new one below.
    }
  }
  const db = await PGlite.create();
  if (version !== 'unknown') {
    try {
      const dump = await db.dumpDataDir('none');
      const partial = `${template}.${randomBytes(4).toString('hex')}`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      await rename(partial, template);
    } catch {
      // Only a cache: the next start is slower, nothing else.
    }
  }
  return db;
}
