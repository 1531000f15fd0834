/**
 * Strict decoding of what arrives percent-encoded (path segments, query strings, form bodies):
 * `%XX` escapes and raw characters become bytes, and the bytes must be UTF-8 without NUL, or
 * the component is refused with Kong's wording and the 1-based byte position. A stray `%` not
 * followed by two hex digits stays literal, as nginx and fast-querystring leave it.
 */
import { invalidUtf8At, NUL_MESSAGE, textProblem } from '../store/text.ts';

export type Decoded =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly message: string };

const HEX = /^[0-9A-Fa-f]{2}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The index of the first byte that does not start a valid UTF-8 sequence (overlongs, surrogates
 * and code points past U+10FFFF included), or -1 when all are valid.
 */
export function utf8ErrorAt(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [length, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [length, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [length, min] = [4, 0x10000];
    else return i;
    if (i + length > bytes.length) return i;
    let cp = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += length;
  }
  return -1;
}

/** Bytes to text, or why they cannot be text PostgreSQL stores. */
export function decodeUtf8(bytes: Uint8Array): Decoded {
  const bad = utf8ErrorAt(bytes);
  if (bad !== -1) return { ok: false, message: invalidUtf8At(bad + 1) };
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { ok: false, message: `${NUL_MESSAGE} detected at position ${nul + 1}` };
  return { ok: true, value: decoder.decode(bytes) };
}

/**
 * One component. `raw` is either text (a URL as Node gives it: characters past ASCII are
 * UTF-8 encoded first) or, with `bytes`, a latin1 view of raw bytes (a form body), one char a byte.
 */
export function decodeComponent(raw: string, options: { plusIsSpace: boolean; bytes?: boolean }): Decoded {
  if (options.bytes !== true) {
    // A NUL or lone surrogate in the text as given (fastify inject can send any string).
    const problem = textProblem(raw);
    if (problem !== undefined) return { ok: false, message: problem };
    if (!raw.includes('%') && !(options.plusIsSpace && raw.includes('+'))) return { ok: true, value: raw };
  }
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25 && HEX.test(raw.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (code === 0x2b && options.plusIsSpace) {
      out.push(0x20);
    } else if (options.bytes === true || code < 0x80) {
      out.push(code & 0xff);
    } else {
      const cp = raw.codePointAt(i)!;
      out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      if (cp > 0xffff) i++;
    }
  }
  return decodeUtf8(Uint8Array.from(out));
}

/** Name-value pairs of a query string or form, in order, with what could not be decoded. */
export interface DecodedPairs {
  readonly pairs: [string, string][];
  /** Key (as sent, when the key itself is undecodable) → why. */
  readonly problems: Record<string, string>;
}

export function decodePairs(text: string, options: { bytes?: boolean } = {}): DecodedPairs {
  const pairs: [string, string][] = [];
  const problems: Record<string, string> = {};
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    const key = decodeComponent(rawKey, { plusIsSpace: true, ...options });
    if (!key.ok) {
      problems[printable(rawKey)] = `invalid parameter name: ${key.message}`;
      continue;
    }
    const value = decodeComponent(rawValue, { plusIsSpace: true, ...options });
    if (!value.ok) problems[key.value] = value.message;
    else pairs.push([key.value, value.value]);
  }
  return { pairs, problems };
}

/** A raw key shown back to the client: anything but printable ASCII as %XX, so the message is valid text. */
function printable(raw: string): string {
  return raw.replace(
    /[^\u0020-\u007e]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
