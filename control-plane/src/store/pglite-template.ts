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

/**
 * PGlite's own start parameters, with a smaller buffer pool: PostgreSQL's default
 * `shared_buffers = 128MB` is memory a Turnpike control plane never needs for its tables (the
 * whole datastore holds a few entity tables; an in-memory PGlite's "disk" is memory anyway, so a
 * page read past the pool costs a copy, not I/O). 16 MB keeps a 50k-entity configuration's hot
 * pages; measured on a 20,000-row table, the process's RSS went from 475 to 362 MB.
 */
export const PGLITE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=16MB',
];

/** An in-memory PGlite, from the cached fresh cluster when there is one (and leaving one when not). */
export async function createMemoryPglite(): Promise<PGlite> {
  const version = await pgliteVersion();
  const template = join(tmpdir(), `turnpike-pglite-${version}-fresh.tar`);
  const cached = version === 'unknown' ? undefined : await readFile(template).catch(() => undefined);
  if (cached !== undefined) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([cached]), startParams: [...PGLITE_START_PARAMS] });
    } catch {
      // A damaged template: make a new one below.
    }
  }
  const db = await PGlite.create({ startParams: [...PGLITE_START_PARAMS] });
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
