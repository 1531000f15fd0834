/**
 * Whether a Host header (or HTTP/2 :authority) is an RFC 3986 `host [ ":" port ]`: a reg-name
 * (unreserved, pct-encoded, sub-delims), an IPv4 address (a reg-name too) or an IPv6 literal in
 * brackets, then an optional port of 1–5 digits up to 65535. A pure function, one pass.
 *
 * Stricter than nginx where the RFC is silent or nginx is lax, and why:
 * - `..` anywhere and a lone `.` are refused, as nginx's ngx_http_validate_host does (a path-like
 *   host is how virtual-host tricks start);
 * - an empty value is refused (nginx: 400 too); so is an empty port (`a:`), which the RFC allows
 *   but nothing legitimate sends and which would route differently from `a`;
 * - `userinfo@` is not part of a Host (RFC 9110 7.2), so `@` is refused; so is IPvFuture
 *   (`[v1.x]`), which no client sends and no upstream understands.
 */

import { isIPv6 } from 'node:net';

const OK = 1;
const PERCENT = 2;
/** Bytes a reg-name may hold, by char code: ALPHA DIGIT - . _ ~ and the sub-delims. */
const REG_NAME = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=") {
  REG_NAME[c.charCodeAt(0)] = OK;
}
REG_NAME['%'.charCodeAt(0)] = PERCENT;

const DOT = 46;
const COLON = 58;
const OPEN = 91;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

/** True for `*DIGIT` of length 1–5 with a value of at most 65535. */
function isPort(value: string, from: number): boolean {
  const length = value.length - from;
  if (length < 1 || length > 5) return false;
  let port = 0;
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    port = port * 10 + (c - 48);
  }
  return port <= 65535;
}

/** The end (exclusive) of a valid reg-name starting at 0, or -1. */
function regNameEnd(value: string): number {
  let previous = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === COLON) return i === 0 ? -1 : i;
    const kind = c < 128 ? REG_NAME[c] : 0;
    if (kind === 0) return -1;
    if (kind === PERCENT) {
      if (!isHex(value.charCodeAt(i + 1)) || !isHex(value.charCodeAt(i + 2))) return -1;
      i += 2;
    } else if (c === DOT && previous === DOT) return -1;
    previous = c;
  }
  return value.length;
}

export function isValidHost(value: string): boolean {
  if (value.length === 0 || value === '.') return false;
  let end: number;
  if (value.charCodeAt(0) === OPEN) {
    const close = value.indexOf(']');
    if (close === -1 || !isIPv6(value.slice(1, close))) return false;
    end = close + 1;
    if (end < value.length && value.charCodeAt(end) !== COLON) return false;
  } else {
    end = regNameEnd(value);
    if (end === -1) return false;
  }
  if (end === value.length) return true;
  return isPort(value, end + 1);
}
