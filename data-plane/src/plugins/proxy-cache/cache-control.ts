/**
 * Kong's Cache-Control and content-type rules for proxy-cache (kong/tools/http.lua
 * parse_directive_header, calculate_resource_ttl; kong/tools/mime_type.lua), pure.
 */

export type Directives = ReadonlyMap<string, string | number | true>;

const EMPTY: Directives = new Map();

/** `no-cache, max-age=60` → {no-cache: true, max-age: 60}; numbers as numbers, as Kong. */
export function parseDirectives(header: string | undefined): Directives {
  if (header === undefined) return EMPTY;
  const out = new Map<string, string | number | true>();
  for (const part of header.split(',')) {
    const m = /^\s*([^=]+)(?:=(.+))?/.exec(part);
    if (m === null) continue;
    const name = m[1]!.toLowerCase();
    const raw = m[2];
    if (raw === undefined) out.set(name, true);
    else {
      const n = Number(raw);
      out.set(name, raw.trim() !== '' && Number.isFinite(n) ? n : raw);
    }
  }
  return out;
}

/** Kong's calculate_resource_ttl: s-maxage, else max-age, else Expires - now; at least 0. */
export function resourceTtl(cc: Directives, expires: string | undefined, nowS: number): number {
  let maxAge = cc.get('s-maxage') ?? cc.get('max-age');
  if (maxAge === undefined && expires !== undefined) {
    const at = Date.parse(expires);
    if (!Number.isNaN(at)) maxAge = Math.floor(at / 1000) - nowS;
  }
  return typeof maxAge === 'number' ? Math.max(maxAge, 0) : 0;
}

export interface MediaType {
  readonly type: string;
  readonly subtype: string;
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA = new RegExp(
  `^(?:(${TOKEN})/(${TOKEN})|(\\*))((?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*"))*)$`,
);
const PARAM = new RegExp(`;[ \\t]*(${TOKEN})=(?:(${TOKEN})|"((?:[^"\\\\]|\\\\.)*)")`, 'g');

/** Kong's parse_mime_type: type and subtype lowercased, parameter names too; undefined if invalid. */
export function parseMediaType(value: string): MediaType | undefined {
  const m = MEDIA.exec(value);
  if (m === null) return undefined;
  const params = new Map<string, string>();
  for (const p of (m[4] ?? '').matchAll(PARAM)) params.set(p[1]!.toLowerCase(), p[2] ?? p[3] ?? '');
  if (m[3] === '*') return { type: '*', subtype: '*', params };
  return { type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), params };
}

/** Kong's content-type match: type and subtype (or `*`), and exactly the same parameters. */
export function contentTypeMatches(actual: MediaType, expected: MediaType): boolean {
  if (expected.type !== '*' && actual.type !== expected.type) return false;
  if (expected.subtype !== '*' && actual.subtype !== expected.subtype) return false;
  if (actual.params.size !== expected.params.size) return false;
  for (const [k, v] of expected.params) if (actual.params.get(k) !== v) return false;
  return true;
}
