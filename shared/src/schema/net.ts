/**
 * Host, IP, CIDR and path checks with Kong's semantics (kong/tools/utils normalize_ip,
 * kong/tools/uri normalize), used by the typedefs.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';

export interface ParsedHost {
  readonly type: 'ipv4' | 'ipv6' | 'name';
  readonly host: string;
  readonly port: number | undefined;
}

export type HostParse = { ok: true; value: ParsedHost } | { ok: false; error: string };

const PORT_INVALID = 'invalid port number';

/** Kong's hostname_type: more than one colon is IPv6, digits and dots IPv4, anything else a name. */
function hostnameType(address: string): ParsedHost['type'] {
  const colons = address.split(':').length - 1;
  if (colons > 1) return 'ipv6';
  if (/^[\d.]+$/.test(address.replace(':', ''))) return 'ipv4';
  return 'name';
}

function parsePort(text: string): number | undefined {
  const port = Number(text);
  return port > 65535 ? undefined : port;
}

/** Kong's utils.normalize_ip: a host with an optional port, or why it is not one. */
export function parseHost(address: string): HostParse {
  const type = hostnameType(address);
  if (type === 'ipv4') {
    const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?::(\d+))?$/.exec(address);
    if (m === null || !isIPv4(m[1]!.replace(/\b0+(\d)/g, '$1'))) {
      return { ok: false, error: `invalid ipv4 address: ${address}` };
    }
    const port = m[2] === undefined ? undefined : parsePort(m[2]);
    if (m[2] !== undefined && port === undefined) return { ok: false, error: PORT_INVALID };
    return { ok: true, value: { type, host: m[1]!, port } };
  }
  if (type === 'ipv6') {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
    const host = bracketed === null ? address : bracketed[1]!;
    if (!isIPv6(host)) return { ok: false, error: `invalid ipv6 address: ${address}` };
    const portText = bracketed?.[2];
    const port = portText === undefined ? undefined : parsePort(portText);
    if (portText !== undefined && port === undefined) return { ok: false, error: PORT_INVALID };
    return { ok: true, value: { type, host, port } };
  }
  let name = address;
  let port: number | undefined;
  const portMatch = /:(\d+)$/.exec(address);
  if (portMatch !== null) {
    name = address.slice(0, -portMatch[0].length);
    port = parsePort(portMatch[1]!);
    if (port === undefined) return { ok: false, error: PORT_INVALID };
  }
  const invalid: HostParse = { ok: false, error: `invalid hostname: ${address}` };
  if (!/^[\dA-Za-z\-._]+$/.test(name)) return invalid;
  const segments = name.split('.');
  for (const [i, segment] of segments.entries()) {
    // A trailing dot (FQDN) is allowed; empty labels and labels ending with a dash are not.
    if (segment.endsWith('-') || (segment === '' && i !== segments.length - 1)) return invalid;
  }
  return { ok: true, value: { type, host: name, port } };
}

/** typedefs.host: a host name or IP, without a port. */
export function validateHost(host: string): string | undefined {
  const parsed = parseHost(host);
  if (!parsed.ok) return parsed.error === PORT_INVALID ? 'must not have a port' : `invalid value: ${host}`;
  return parsed.value.port === undefined ? undefined : 'must not have a port';
}

/** typedefs.host_with_optional_port. */
export function validateHostWithOptionalPort(host: string): string | undefined {
  const parsed = parseHost(host);
  return parsed.ok ? undefined : parsed.error;
}

/** typedefs.sni: a host name (not an IP), without a port. */
export function validateSni(host: string): string | undefined {
  const parsed = parseHost(host);
  if (!parsed.ok) return parsed.error === PORT_INVALID ? 'must not have a port' : `invalid value: ${host}`;
  if (parsed.value.type !== 'name') return 'must not be an IP';
  return parsed.value.port === undefined ? undefined : 'must not have a port';
}

/** typedefs.wildcard_host: an SNI with at most one `*`, as the first or last character. */
export function validateWildcardHost(host: string): string | undefined {
  const idx = host.indexOf('*');
  let mock = host;
  if (idx !== -1) {
    if (idx !== 0 && idx !== host.length - 1) return 'wildcard must be leftmost or rightmost character';
    if (host.split('*').length - 1 > 1) return 'only one wildcard must be specified';
    mock = host.replace('*', 'wildcard');
  }
  const parsed = parseHost(mock);
  if (!parsed.ok) return parsed.error === PORT_INVALID ? 'must not have a port' : `invalid value: ${mock}`;
  if (parsed.value.type !== 'name') return 'must not be an IP';
  return parsed.value.port === undefined ? undefined : 'must not have a port';
}

export function isIpOrCidr(value: string): boolean {
  const [ip, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || ip === undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Kong's utils.format_host: IPv6 in brackets, the default port added when none is given. */
export function formatHost(parsed: ParsedHost, defaultPort: number): string {
  const host = parsed.type === 'ipv6' ? `[${parsed.host}]` : parsed.host;
  return `${host}:${parsed.port ?? defaultPort}`;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * kong.tools.uri normalize(path, true): decode percent-encoded unreserved characters,
 * upper-case the other escapes, remove dot segments and merge slashes.
 */
export function normalizePath(path: string): string {
  const decoded = path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const ch = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  const merged = decoded.replace(/\/{2,}/g, '/');
  const out: string[] = [];
  const segments = merged.split('/');
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) out.push('');
    } else if (segment === '..') {
      if (out.length > 1) out.pop();
      if (last) out.push('');
    } else out.push(segment);
  }
  return out.join('/');
}
