import { isIP } from 'node:net';

/**
 * Parsers from kong.conf text to values. Each returns the value, or a reason that may quote
 * the text: callers hide the reason for secret keys.
 */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (reason: string): Parsed<never> => ({ ok: false, reason });

export function parseBoolean(text: string): Parsed<boolean> {
  const lower = text.toLowerCase();
  if (lower === 'on' || lower === 'true') return ok(true);
  if (lower === 'off' || lower === 'false') return ok(false);
  return fail(`invalid value '${text}': expected on, off, true or false`);
}

export function parseInteger(
  text: string,
  bounds: { minimum?: number; maximum?: number } = {},
): Parsed<number> {
  if (!/^[+-]?\d+$/.test(text))
    return fail(`invalid value '${text}': expected an integer${describeBounds(bounds)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return fail(`invalid value '${text}': too large`);
  const { minimum, maximum } = bounds;
  if ((minimum !== undefined && value < minimum) || (maximum !== undefined && value > maximum)) {
    return fail(`invalid value '${text}': expected an integer${describeBounds(bounds)}`);
  }
  return ok(value);
}

function describeBounds({ minimum, maximum }: { minimum?: number; maximum?: number }): string {
  if (minimum !== undefined && maximum !== undefined) return ` from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return ` of ${minimum} or more`;
  if (maximum !== undefined) return ` of ${maximum} or less`;
  return '';
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** nginx size syntax, as Kong's client_max_body_size: `0`, `512`, `8k`, `1m`, `2g` (powers of 1024). */
export function parseSize(text: string): Parsed<number> {
  const match = /^(\d+)([kmg]?)$/i.exec(text);
  if (match === null) return fail(`invalid value '${text}': expected a size such as 0, 512, 8k, 1m or 1g`);
  const bytes = Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(bytes)) return fail(`invalid value '${text}': too large`);
  return ok(bytes);
}

/** Comma-separated, each entry trimmed, empty entries dropped; `off` alone is the empty list. */
export function parseList(text: string): Parsed<string[]> {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 1 && items[0]?.toLowerCase() === 'off') return ok([]);
  if (items.some((item) => item.toLowerCase() === 'off')) {
    return fail(`invalid value '${text}': off cannot be combined with other entries`);
  }
  return ok(items);
}

/** Matches case-insensitively and returns the allowed spelling. */
export function parseChoice<T extends string>(text: string, allowed: readonly T[]): Parsed<T> {
  const found = allowed.find((choice) => choice.toLowerCase() === text.toLowerCase());
  if (found === undefined) return fail(`invalid value '${text}': expected one of: ${allowed.join(', ')}`);
  return ok(found);
}

export function parseWorkers(text: string): Parsed<'auto' | number> {
  if (text.toLowerCase() === 'auto') return ok('auto');
  const n = parseInteger(text, { minimum: 1 });
  return n.ok ? n : fail(`invalid value '${text}': expected auto or a positive integer`);
}

export function parseUuid(text: string): Parsed<string> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text))
    return ok(text.toLowerCase());
  return fail(`invalid value '${text}': expected a UUID`);
}

/** `1.2.3.4`, `10.0.0.0/8`, `::1`, `fd00::/8`. */
export function isIpOrCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash === -1) return isIP(text) !== 0;
  const family = isIP(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export interface HostPort {
  /** IPv6 without brackets. */
  readonly host: string;
  /** Absent only when the port was optional and not given. */
  readonly port?: number;
}

/** `host:port`, `1.2.3.4:80`, `[::1]:8001`; with `portOptional`, also a bare host or IP. */
export function parseHostPort(text: string, options: { portOptional?: boolean } = {}): HostPort | undefined {
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (isIP(host) !== 6) return undefined;
  } else if (isIP(text) === 6) {
    // A bare IPv6 address has colons of its own: only valid without a port.
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
    if (!isHostName(host) && isIP(host) !== 4) return undefined;
  }
  if (portText === undefined) return options.portOptional === true ? { host } : undefined;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return undefined;
  return { host, port: Number(portText) };
}

function isHostName(text: string): boolean {
  return /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(
    text,
  );
}

/**
 * An http(s) URL as kong.conf's admin_gui_url and admin_gui_api_url take it:
 * `<scheme>://<host>[:<port>][<path>]`; with `schemeOptional` the scheme may be left out
 * (`127.0.0.1:8001`, as Kong accepts in admin_gui_api_url). No query, fragment or credentials.
 */
export function parseHttpUrl(text: string, options: { schemeOptional?: boolean } = {}): Parsed<string> {
  const expected =
    options.schemeOptional === true ? '[http(s)://]host[:port][/path]' : 'http(s)://host[:port][/path]';
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  if (!hasScheme && options.schemeOptional !== true)
    return fail(`invalid value '${text}': expected ${expected}`);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `http://${text}`);
  } catch {
    return fail(`invalid value '${text}': expected ${expected}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail(`invalid value '${text}': the scheme must be http or https`);
  if (
    url.hostname === '' ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  )
    return fail(`invalid value '${text}': expected ${expected}`);
  return ok(text);
}

/** Loopback addresses: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower === '::1') return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  return /^::ffff:127\./.test(lower);
}

/** nginx's `$host` (or `${host}`) in a Content-Security-Policy value, which Kong's nginx expands per request. */
export const CSP_HOST_VARIABLE = /\$(?:host(?![A-Za-z0-9_])|\{host\})/g;

/**
 * A Content-Security-Policy header value as admin_gui_csp_header_value takes it (Kong writes it
 * into nginx's add_header): CSP Level 3 policies, comma-separated, each `;`-separated directives
 * `<name> <value>…` (a trailing `;` is fine, as in Kong's default). Printable ASCII only, so the
 * header can be sent at all; the one nginx variable kept is `$host` (the request's host name),
 * which Kong's own default uses (`${host}` too); any other `$name` would reach browsers as written,
 * so it is refused.
 */
export function parseCspHeaderValue(text: string): Parsed<string> {
  const bad = /[^\x20-\x7e\t]/.exec(text);
  if (bad !== null) {
    const code = `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return fail(`invalid character ${code} at position ${bad.index + 1}: a header value is printable ASCII`);
  }
  const variable = /\$(?!host(?![A-Za-z0-9_])|\{host\})(\{[^}]*\}?|[A-Za-z0-9_]*)/.exec(text);
  if (variable !== null)
    return fail(
      `'${variable[0]}' is not expanded: the only variable Turnpike replaces is $host (the request's host name)`,
    );
  for (const policy of text.split(',')) {
    const directives = policy
      .split(';')
      .map((d) => d.trim())
      .filter((d) => d !== '');
    if (directives.length === 0)
      return fail(`invalid value '${text}': expected directives such as default-src 'self'; img-src 'self'`);
    for (const directive of directives) {
      const name = directive.split(/[ \t]/, 1)[0] as string;
      if (!/^[A-Za-z0-9-]+$/.test(name))
        return fail(
          `invalid directive '${directive}': a directive is a name (letters, digits, -) such as default-src, then its sources`,
        );
    }
  }
  return ok(text);
}
