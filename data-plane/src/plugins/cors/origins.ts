/**
 * The origin logic of Kong 3.10's cors handler (configure_origin, normalize_origin), compiled
 * once per configuration: which Access-Control-Allow-Origin a request's Origin gets.
 */

export interface Normalized {
  /** scheme://host[:port], the default port dropped; the origin itself when it has no authority. */
  readonly domain: string;
  readonly host: string;
}

/**
 * LuaSocket's url.parse as Kong's normalize_origin reads it: a host only after `//`; the port
 * dropped when it is the scheme's default.
 */
export function normalizeOrigin(origin: string): Normalized {
  let rest = origin;
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  let scheme: string | undefined;
  const s = /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/.exec(rest);
  if (s !== null) {
    scheme = s[1];
    rest = rest.slice(s[0].length);
  }
  const a = /^\/\/([^/]*)/.exec(rest);
  if (a === null) return { domain: origin, host: origin };
  let authority = a[1]!;
  const at = authority.indexOf('@');
  if (at !== -1) authority = authority.slice(at + 1);
  let port: string | undefined;
  const p = /:([^:\]]*)$/.exec(authority);
  if (p !== null) {
    port = p[1];
    authority = authority.slice(0, p.index);
  }
  if (authority === '') return { domain: origin, host: origin };
  const host = /^\[(.+)\]$/.exec(authority)?.[1] ?? authority;
  if ((scheme === 'http' && port === '80') || (scheme === 'https' && port === '443')) port = undefined;
  return {
    domain: `${scheme === undefined ? '' : `${scheme}://`}${host}${port === undefined ? '' : `:${port}`}`,
    host,
  };
}

interface Entry {
  readonly regex: RegExp | undefined;
  readonly domain: string | undefined;
  /** No `:` in the entry: a regex is matched against the origin's host only. */
  readonly byHost: boolean;
}

/** What configure_origin does for one config. */
export interface OriginPolicy {
  /** `*` for everyone (no origins, or a lone `*`; with an Origin, any `*` entry). */
  readonly allowAll: boolean;
  /** A lone flat origin: sent as is, whatever the request's Origin. */
  readonly fixed: string | undefined;
  readonly anyStar: boolean;
  readonly entries: readonly Entry[];
}

const FLAT = /^[A-Za-z0-9.:/-]+$/;
const MAYBE_REGEX = /[^A-Za-z0-9.:/-]/;

export function compileOrigins(origins: readonly string[] | null | undefined): OriginPolicy {
  const list = origins ?? [];
  const allowAll = list.length === 0 || (list.length === 1 && list[0] === '*');
  const fixed = list.length === 1 && FLAT.test(list[0]!) ? list[0] : undefined;
  const entries: Entry[] = [];
  for (let entry of list) {
    if (entry === '*') continue;
    const byHost = !entry.includes(':');
    if (MAYBE_REGEX.test(entry)) {
      // Kong anchors at the start (PCRE's `a`) and appends `$` unless the entry ends with one.
      if (!entry.endsWith('$')) entry = `${entry}$`;
      if (entry.startsWith('^')) entry = entry.slice(1);
      entries.push({ regex: new RegExp(`^(?:${entry})`), domain: undefined, byHost });
    } else {
      entries.push({ regex: undefined, domain: normalizeOrigin(entry).domain, byHost });
    }
  }
  return { allowAll, fixed, anyStar: list.includes('*'), entries };
}

/**
 * The Access-Control-Allow-Origin for a request's Origin: `*`, an origin, or undefined (the
 * header is removed). `allowAll` in the result is configure_origin's return value.
 */
export function allowedOrigin(
  policy: OriginPolicy,
  origin: string | undefined,
): { readonly value: string | undefined; readonly allowAll: boolean } {
  if (policy.allowAll) return { value: '*', allowAll: true };
  if (policy.fixed !== undefined) return { value: policy.fixed, allowAll: false };
  if (origin !== undefined && origin !== '') {
    if (policy.anyStar) return { value: '*', allowAll: true };
    const normalized = normalizeOrigin(origin);
    for (const entry of policy.entries) {
      const found =
        entry.regex === undefined
          ? normalized.domain === entry.domain
          : entry.regex.test(entry.byHost ? normalized.host : normalized.domain);
      if (found) return { value: normalized.domain, allowAll: false };
    }
  }
  return { value: undefined, allowAll: false };
}
