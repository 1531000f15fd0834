/**
 * Vault references, Kong's `{vault://<name-or-prefix>/<resource>[/<key>][?<config>][#<version>]}`
 * (kong/pdk/vault.lua `is_reference` and `parse_reference`, with LuaSocket's url.parse and
 * url.parse_path): what a `referenceable` field may hold instead of its value. Pure: the data
 * plane resolves them (data-plane/src/config/vault-references.ts).
 */

/** Kong's is_reference: starts with `{vault://` and ends with `}`. */
export function isReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{vault://') && value.endsWith('}');
}

export interface ParsedReference {
  /** The vault's name (`env`) or a vaults entity's prefix. */
  readonly name: string;
  readonly resource: string;
  /** A field of the JSON object the secret holds. */
  readonly key?: string;
  /** Overrides of the vault's config from the query string. */
  readonly config?: Readonly<Record<string, string | true | (string | true)[]>>;
  readonly version?: number;
}

export type ParseReferenceResult =
  | { readonly ok: true; readonly reference: ParsedReference }
  | { readonly ok: false; readonly error: string };

/** LuaSocket's url.unescape: `%XX` decoded, nothing else. */
function urlUnescape(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** ngx.unescape_uri: `%XX` decoded and `+` read as a space. */
function unescapeUri(s: string): string {
  return urlUnescape(s.replaceAll('+', ' '));
}

/** ngx.decode_args: `a=1&b&a=2` → `{ a: ['1', '2'], b: true }`. */
function decodeArgs(query: string): Record<string, string | true | (string | true)[]> {
  const out: Record<string, string | true | (string | true)[]> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = unescapeUri(eq === -1 ? part : part.slice(0, eq));
    if (key === '') continue;
    const value: string | true = eq === -1 ? true : unescapeUri(part.slice(eq + 1));
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [seen, value];
  }
  return out;
}

interface UrlParts {
  host?: string;
  path?: string;
  query?: string;
  fragment?: string;
}

/** LuaSocket's url.parse, for the parts a reference uses. */
function parseUrl(url: string): UrlParts {
  const parts: UrlParts = {};
  let rest = url;
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    parts.fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  rest = rest.replace(/^[A-Za-z0-9][A-Za-z0-9+.-]*:/, '');
  let authority: string | undefined;
  const auth = /^\/\/([^/]*)/.exec(rest);
  if (auth !== null) {
    authority = auth[1]!;
    rest = rest.slice(auth[0].length);
  }
  const q = rest.indexOf('?');
  if (q !== -1) {
    parts.query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const semi = rest.indexOf(';');
  if (semi !== -1) rest = rest.slice(0, semi);
  if (rest !== '') parts.path = rest;
  if (authority !== undefined) {
    authority = authority.replace(/^[^@]*@/, '').replace(/:[^:\]]*$/, '');
    if (authority !== '') parts.host = /^\[(.+)\]$/.exec(authority)?.[1] ?? authority;
  }
  return parts;
}

/** Kong's parse_reference, with its error messages. */
export function parseReference(reference: string): ParseReferenceResult {
  const fail = (error: string): ParseReferenceResult => ({ ok: false, error });
  if (!isReference(reference)) return fail(`not a reference [${reference}]`);
  const url = parseUrl(reference.slice(1, -1));
  if (url.host === undefined) return fail(`reference url is missing host [${reference}]`);
  if (url.path === undefined) return fail(`reference url is missing path [${reference}]`);
  const path = url.path.slice(1);
  if (path === '') return fail(`reference url has empty path [${reference}]`);
  let version: number | undefined;
  if (url.fragment !== undefined) {
    // Lua's tonumber(s, 10): digits only.
    if (!/^\s*-?\d+\s*$/.test(url.fragment)) return fail(`reference url has invalid version [${reference}]`);
    version = Number.parseInt(url.fragment, 10);
  }
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map(unescape);
  if (segments.length === 0) return fail(`reference url has invalid path [${reference}]`);
  let resource: string;
  let key: string | undefined;
  if (segments.length === 1) resource = unescapeUri(segments[0]!);
  else if (path.endsWith('/')) resource = unescapeUri(segments.join('/'));
  else {
    resource = unescapeUri(segments.slice(0, -1).join('/'));
    key = unescapeUri(segments.at(-1)!);
  }
  const config = url.query === undefined || url.query === '' ? undefined : decodeArgs(url.query);
  return {
    ok: true,
    reference: {
      name: url.host,
      resource,
      ...(key === undefined ? {} : { key }),
      ...(config === undefined ? {} : { config }),
      ...(version === undefined ? {} : { version }),
    },
  };
}
