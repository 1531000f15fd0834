import { isAbsolute, resolve } from 'node:path';
import type { Parsed } from './values.ts';

/** What a `dsn` value names, before the other datastore keys are applied. */
export type DsnTarget =
  | { readonly kind: 'memory' }
  | { readonly kind: 'pglite'; readonly dir: string }
  | { readonly kind: 'postgres'; readonly url: URL };

const PGLITE = 'pglite://';

/**
 * Ory Kratos style data source names: `memory` (embedded, in process, not persisted),
 * `pglite:///abs/dir` or `pglite://./rel/dir` (embedded, persisted in that folder),
 * `postgres://` or `postgresql://` URLs. Reasons never quote the value: a DSN may hold a password.
 */
export function parseDsn(text: string): Parsed<DsnTarget> {
  if (text === 'memory') return { ok: true, value: { kind: 'memory' } };
  if (text.startsWith(PGLITE)) {
    const dir = text.slice(PGLITE.length);
    if (dir.startsWith('/') || dir.startsWith('./') || dir.startsWith('../')) {
      return { ok: true, value: { kind: 'pglite', dir } };
    }
    return { ok: false, reason: 'a pglite DSN names a folder: pglite:///abs/dir or pglite://./rel/dir' };
  }
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { ok: false, reason: 'not a valid postgres:// URL' };
    }
    if (url.hostname === '') return { ok: false, reason: 'a postgres:// URL needs a host' };
    return { ok: true, value: { kind: 'postgres', url } };
  }
  return { ok: false, reason: 'expected memory, pglite:///abs/dir, pglite://./rel/dir or a postgres:// URL' };
}

/** Rewrites `pglite://./rel/dir` to `pglite:///abs/dir` against cwd; other values are returned as they are. */
export function absoluteDsn(text: string, cwd: string): string {
  if (!text.startsWith(PGLITE)) return text;
  const dir = text.slice(PGLITE.length);
  return isAbsolute(dir) ? text : `${PGLITE}${resolve(cwd, dir)}`;
}
