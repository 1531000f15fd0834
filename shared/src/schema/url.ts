/**
 * The `url` shorthand of services, expanded as Kong's services.lua does with LuaSocket's
 * url.parse: lenient (no throwing on odd input), scheme/host/port/path only.
 */

interface ParsedUrl {
  scheme?: string;
  host?: string;
  port?: string;
  path?: string;
}

/** RFC 3986 split, as socket.url.parse: every part optional, nothing rejected. */
export function parseUrl(url: string): ParsedUrl {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?[^#]*)?(?:#.*)?$/.exec(url);
  const out: ParsedUrl = {};
  if (m === null) return out;
  if (m[1] !== undefined) out.scheme = m[1].toLowerCase();
  if (m[2] !== undefined) {
    const authority = m[2].replace(/^.*@/, '');
    const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
    if (hp !== null) {
      if (hp[1] !== '') out.host = hp[1]!.replace(/^\[(.*)\]$/, '$1');
      if (hp[2] !== undefined && hp[2] !== '') out.port = hp[2];
    }
  }
  if (m[3] !== undefined && m[3] !== '') out.path = m[3];
  return out;
}

const DEFAULT_PROTOCOL = 'http';
const DEFAULT_PORT = 80;

/** Kong's services `url` shorthand: protocol, host, port and path from one URL. */
export function expandServiceUrl(url: string): Record<string, unknown> {
  const parsed = parseUrl(url);
  const port = parsed.port === undefined ? undefined : Number(parsed.port);
  const byPort = port === 80 ? 'http' : port === 443 ? 'https' : undefined;
  const protocol = parsed.scheme ?? byPort ?? DEFAULT_PROTOCOL;
  return {
    protocol,
    host: parsed.host ?? null,
    port: port ?? (protocol === 'http' ? 80 : protocol === 'https' ? 443 : DEFAULT_PORT),
    path: parsed.path ?? null,
  };
}
