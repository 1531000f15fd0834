/**
 * Request path normalisation before matching, and escaping for the upstream request line, after
 * Kong's kong/tools/uri.lua (`normalize(uri, merge_slashes = true)` and `escape`).
 *
 * Kong decodes percent-encoded characters except the reserved ones (which it keeps encoded, in
 * upper case, so `%2F` never becomes a separator), removes dot segments (RFC 3986 5.2.4, so
 * `%2e%2e` counts as `..`) and merges duplicate slashes. It rejects nothing: a path cannot climb
 * above `/`, a backslash is an ordinary character, and malformed escapes such as `%zz` stay as
 * they are. Two choices of ours where Kong works on raw bytes: control characters (%00-%1F, %7F)
 * stay encoded, and decoded bytes ≥ 0x80 are kept only when they form valid UTF-8 (so the path
 * is a proper JS string); otherwise they stay encoded too.
 */

const RESERVED = "!*'();:@&=+$,/?%#[]";

/** For each byte below 0x80: 1 = decode it, 0 = keep it percent-encoded. */
const DECODE_ASCII: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let b = 0x20; b < 0x7f; b++) table[b] = 1;
  for (const c of RESERVED) table[c.charCodeAt(0)] = 0;
  return table;
})();

const utf8 = new TextDecoder('utf-8', { fatal: true });
const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** The byte of a valid `%XY` triplet at `i`, or -1. */
function tripletAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 37 || i + 2 >= s.length) return -1;
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

function encodedByte(b: number): string {
  return `%${HEX[b >> 4]}${HEX[b & 15]}`;
}

/** Decodes the triplets that Kong decodes; see the file comment for the two deviations. */
export function decodeUnreserved(s: string): string {
  if (s.indexOf('%') === -1) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const b = tripletAt(s, i);
    if (b < 0) {
      out += s[i];
      i++;
      continue;
    }
    if (b < 0x80) {
      out += DECODE_ASCII[b] === 1 ? String.fromCharCode(b) : encodedByte(b);
      i += 3;
      continue;
    }
    // A run of high bytes: one UTF-8 sequence or more.
    const bytes: number[] = [];
    let j = i;
    for (let next = b; next >= 0x80; next = tripletAt(s, j)) {
      bytes.push(next);
      j += 3;
    }
    try {
      out += utf8.decode(Uint8Array.from(bytes));
    } catch {
      for (const byte of bytes) out += encodedByte(byte);
    }
    i = j;
  }
  return out;
}

/**
 * Removes `.` and `..` segments and merges `//`, exactly as Kong's normalize loop does
 * (`/..` at the root stays at the root).
 */
export function removeDotSegments(path: string): string {
  if (path.indexOf('.') === -1 && path.indexOf('//') === -1) return path;
  const out: string[] = [];
  let pos = 0;
  const n = path.length;
  while (pos < n) {
    const rest = n - pos;
    const c0 = path.charCodeAt(pos);
    const c1 = rest > 1 ? path.charCodeAt(pos + 1) : -1;
    const c2 = rest > 2 ? path.charCodeAt(pos + 2) : -1;
    const c3 = rest > 3 ? path.charCodeAt(pos + 3) : -1;
    if (rest === 2 && c0 === 47 && c1 === 46) {
      // "/." → "/"
      out.push('/');
      pos = n;
    } else if (rest === 3 && c0 === 47 && c1 === 46 && c2 === 46) {
      // "/.." → "/" after dropping the last segment
      out.pop();
      out.push('/');
      pos = n;
    } else if ((rest === 1 && c0 === 46) || (rest === 2 && c0 === 46 && c1 === 46)) {
      pos = n;
    } else if (c0 === 46 && c1 === 46 && c2 === 47) {
      pos += 3;
    } else if (c0 === 46 && c1 === 47) {
      pos += 2;
    } else if (c0 === 47 && c1 === 46 && c2 === 47) {
      pos += 2;
    } else if (c0 === 47 && c1 === 46 && c2 === 46 && c3 === 47) {
      pos += 3;
      out.pop();
    } else if (c0 === 47 && c1 === 47) {
      pos += 1;
    } else {
      const slash = path.indexOf('/', pos + 1);
      const end = slash === -1 ? n : slash;
      out.push(path.slice(pos, end));
      pos = end;
    }
  }
  return out.join('');
}

/** The path the router matches on: Kong's `normalize(path, true)`. */
export function normalizePath(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return rawPath;
  return removeDotSegments(decodeUnreserved(rawPath));
}

// Kong's ESCAPE_PATTERN: everything outside these characters is percent-encoded for the upstream.
const NEEDS_ESCAPE = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/;
const NEEDS_ESCAPE_ALL = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/gu;

function escapeChar(ch: string): string {
  // A lone surrogate cannot be UTF-8 encoded; send the replacement character instead.
  return ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff
    ? '%EF%BF%BD'
    : encodeURIComponent(ch);
}

/** Makes a normalised path safe for the upstream request line, keeping its meaning (Kong's `escape`). */
export function escapePath(path: string): string {
  return NEEDS_ESCAPE.test(path) ? path.replace(NEEDS_ESCAPE_ALL, escapeChar) : path;
}
