/**
 * Kong 3.x's on-the-fly migration of `_format_version` "1.1" and "2.1" files
 * (kong/db/declarative/migrations/route_path.lua with kong/db/migrations/migrate_path_280_300.lua):
 * before 3.0 a route path was a regex whenever it looked like one; since 3.0 a regex starts
 * with `~`. So, in the routes at the top level and the routes nested in top-level services (no
 * others, as Kong), every path that holds a character outside `[a-zA-Z0-9.\-_~/%]` gets `~`
 * prepended (its percent-encoded triplets decoded one last time, regex metacharacters
 * escaped); every other path is normalised as Kong normalises URIs (unreserved triplets
 * decoded, dot segments removed, slashes merged). The file then reads as "3.0". Kong logs
 * nothing when it does this, and neither do we.
 */

/** Kong's chars_to_decode in kong/tools/uri.lua: reserved characters stay encoded. */
const URI_RESERVED = new Set([..."!*'();:@&=+$,/?%#[]"].map((c) => c.charCodeAt(0)));

/** migrate_path_280_300's RESERVED_CHARACTERS: kept encoded in a regex. */
const REGEX_RESERVED = new Set([
  0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2f, 0x3a, 0x3b, 0x3d, 0x3f, 0x40, 0x5b,
  0x5d,
]);

/** …and REGEX_META_CHARACTERS: decoded, then escaped. */
const REGEX_META: ReadonlyMap<number, string> = new Map([
  [0x2e, '\\.'],
  [0x5e, '\\^'],
  [0x2d, '\\-'],
  [0x7b, '\\{'],
  [0x7d, '\\}'],
  [0x5c, '\\\\'],
  [0x7c, '\\|'],
]);

const TRIPLET = /%([0-9A-F]{2})/gi;

/** Kong works on bytes: a path is handled as a latin1 string of its UTF-8 bytes, and turned back. */
const toBytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const fromBytes = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

/** is_not_regex: `re_find(path, [[[a-zA-Z0-9\.\-_~/%]*$]], "ajo")` (PCRE's `$` allows a final newline). */
function looksPlain(path: string): boolean {
  return /^[a-zA-Z0-9.\-_~/%]*\n?$/.test(path);
}

/** kong.tools.uri normalize(uri, true). */
export function normalizeUri(uri: string): string {
  if (uri === '' || uri === '/') return uri;
  let s = toBytes(uri);
  if (s.includes('%')) {
    s = s.replace(TRIPLET, (whole, hex: string) => {
      const code = Number.parseInt(hex, 16);
      return URI_RESERVED.has(code) ? whole.toUpperCase() : String.fromCharCode(code);
    });
  }
  if (!s.includes('.') && !s.includes('//')) return fromBytes(s);
  const out: string[] = [];
  while (s.length > 0) {
    if (s === '/.') s = '/';
    else if (s === '/..') {
      s = '/';
      out.pop();
    } else if (s === '.' || s === '..') s = '';
    else if (s.startsWith('../')) s = s.slice(3);
    else if (s.startsWith('./')) s = s.slice(2);
    else if (s.startsWith('/./')) s = s.slice(2);
    else if (s.startsWith('/../')) {
      s = s.slice(3);
      out.pop();
    } else if (s.startsWith('//')) s = s.slice(1);
    else {
      const i = s.indexOf('/', 1);
      out.push(i === -1 ? s : s.slice(0, i));
      s = i === -1 ? '' : s.slice(i);
    }
  }
  return fromBytes(out.join(''));
}

/** normalize_regex: the last percent-decoding of a pre-3.0 regex path. */
function normalizeRegex(regex: string): string {
  if (!regex.includes('%')) return regex;
  const s = toBytes(regex).replace(TRIPLET, (whole, hex: string) => {
    const code = Number.parseInt(hex, 16);
    if (REGEX_RESERVED.has(code)) return whole.toUpperCase();
    return REGEX_META.get(code) ?? String.fromCharCode(code);
  });
  return fromBytes(s);
}

/** migrate_path: a pre-3.0 path as Kong 3 reads it. */
export function migrateLegacyPath(path: string): string {
  return looksPlain(path) ? normalizeUri(path) : `~${normalizeRegex(path)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function migrateRoutes(routes: unknown): void {
  if (!Array.isArray(routes)) return;
  for (const route of routes) {
    if (!isRecord(route) || !Array.isArray(route.paths)) continue;
    route.paths = route.paths.map((p: unknown) => (typeof p === 'string' ? migrateLegacyPath(p) : p));
  }
}

export const LEGACY_FORMAT_VERSIONS: readonly string[] = ['1.1', '2.1'];

/**
 * The document as Kong 3 reads it: a 1.1 or 2.1 file migrated (a copy; the input is left as it
 * was) and marked "3.0"; any other document as it is.
 */
export function migrateLegacyDocument(input: unknown): unknown {
  if (!isRecord(input) || !LEGACY_FORMAT_VERSIONS.includes(input._format_version as string)) return input;
  const doc = structuredClone(input);
  migrateRoutes(doc.routes);
  if (Array.isArray(doc.services))
    for (const service of doc.services) if (isRecord(service)) migrateRoutes(service.routes);
  doc._format_version = '3.0';
  return doc;
}
