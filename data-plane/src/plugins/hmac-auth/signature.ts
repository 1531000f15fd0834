/**
 * hmac-auth's pure parts (Kong 3.10 kong/plugins/hmac-auth/access.lua): the Authorization
 * header's fields, the signing string, the HTTP date, the body digest.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Kong's pattern, unanchored and greedy as PCRE runs it (ngx.re.gmatch, first match). */
const HMAC_FIELDS = /\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"/;

export interface HmacParams {
  readonly username: string;
  readonly algorithm: string;
  /** The header names signed, in order (split on single spaces, as Kong's splitn). */
  readonly headers: readonly string[];
  /** base64, as sent. */
  readonly signature: string;
}

/** The fields of an `hmac username="…", algorithm="…", headers="…", signature="…"` value. */
export function parseHmacFields(value: string | undefined): HmacParams | undefined {
  if (value === undefined) return undefined;
  const m = HMAC_FIELDS.exec(value);
  if (m === null) return undefined;
  return { username: m[1]!, algorithm: m[2]!, headers: m[3]!.split(' '), signature: m[4]! };
}

const DIGESTS: Readonly<Record<string, string>> = {
  'hmac-sha1': 'sha1',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
};

/** What the signing string reads of the request. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query as received (`$request_uri`). */
  readonly target: string;
  /** `1.1`, `2.0`… */
  readonly httpVersion: string;
  /** A header's first value, any case; undefined when absent. */
  header(name: string): string | undefined;
}

/**
 * Kong's signing string: `name: value` per signed header joined by `\n`; `@request-target` is
 * `<method lowercased> <target>`, `request-line` is `<METHOD> <target> HTTP/<version>` (each only
 * when no header of that name came), a signed header that did not come is `name:`.
 */
export function signingString(request: SignedRequest, headers: readonly string[]): string {
  const lines: string[] = [];
  for (const name of headers) {
    const value = request.header(name);
    if (value !== undefined) lines.push(`${name}: ${value}`);
    else if (name === '@request-target')
      lines.push(`${name}: ${request.method.toLowerCase()} ${request.target}`);
    else if (name === 'request-line')
      lines.push(`${request.method} ${request.target} HTTP/${request.httpVersion}`);
    else lines.push(`${name}:`);
  }
  return lines.join('\n');
}

/** The HMAC of `data` with `algorithm` (one of Kong's four), raw bytes. */
export function hmacOf(algorithm: string, secret: string, data: string): Buffer | undefined {
  const digest = DIGESTS[algorithm];
  return digest === undefined ? undefined : createHmac(digest, secret).update(data).digest();
}

/** Whether a base64 signature equals the expected bytes (ngx.decode_base64: invalid base64 never does). */
export function signatureMatches(expected: Buffer, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(signature) || signature.length % 4 === 1) return false;
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `Digest: SHA-256=<base64>` of a body, as Kong computes it. */
export function bodyDigest(body: Buffer): string {
  return `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const RFC1123 = /^\s*[A-Za-z]+,\s*(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s+GMT\s*$/;
const RFC850 = /^\s*[A-Za-z]+,\s*(\d{1,2})-([A-Za-z]{3})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\s+GMT\s*$/;
const ASCTIME = /^\s*[A-Za-z]+\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})\s*$/;

/**
 * Seconds since the epoch of an HTTP date (the three forms nginx's ngx_parse_http_time reads:
 * RFC 1123, RFC 850, asctime), or undefined.
 */
export function parseHttpDate(value: string): number | undefined {
  const parts = httpDateParts(value);
  if (parts === undefined) return undefined;
  const [day, month, year, h, mi, s] = parts;
  const mon = MONTHS.indexOf(month.toLowerCase());
  if (mon === -1 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Date.UTC(year, mon, day, h, mi, s);
  // 31 February and the like: nginx refuses a day past the month's end.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms / 1000;
}

/** day, month name, year, hour, minute, second. */
function httpDateParts(value: string): [number, string, number, number, number, number] | undefined {
  const a = RFC1123.exec(value);
  if (a !== null) return [Number(a[1]), a[2]!, Number(a[3]), Number(a[4]), Number(a[5]), Number(a[6])];
  const b = RFC850.exec(value);
  if (b !== null) {
    const yy = Number(b[3]);
    return [Number(b[1]), b[2]!, yy < 70 ? 2000 + yy : 1900 + yy, Number(b[4]), Number(b[5]), Number(b[6])];
  }
  const c = ASCTIME.exec(value);
  if (c !== null) return [Number(c[2]), c[1]!, Number(c[6]), Number(c[3]), Number(c[4]), Number(c[5])];
  return undefined;
}
