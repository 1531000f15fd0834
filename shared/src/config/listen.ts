import type { ListenEntry } from './schema.ts';
import { type Parsed, parseHostPort } from './values.ts';

const USAGE =
  'expected off or <ip>:<port> [ssl] [http2] [udp] [proxy_protocol] [reuseport] [backlog=N], comma-separated';

/** Flags nginx understands that have no meaning for a node server: accepted so a kong.conf line still loads. */
const IGNORED_FLAGS = new Set(['deferred', 'bind']);

/**
 * Kong's listen syntax (kong/conf_loader/listeners.lua): `off`, or comma-separated
 * `<ip>:<port>` entries followed by flags. IPv6 is written `[::1]:8001`.
 */
export function parseListen(text: string): Parsed<ListenEntry[]> {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return { ok: false, reason: `invalid value '${text}': ${USAGE}` };
  if (entries.length === 1 && entries[0] === 'off') return { ok: true, value: [] };

  const parsed: ListenEntry[] = [];
  for (const entry of entries) {
    const one = parseListenEntry(entry);
    if (!one.ok) return one;
    parsed.push(one.value);
  }
  return { ok: true, value: parsed };
}

function parseListenEntry(entry: string): Parsed<ListenEntry> {
  const [address = '', ...flags] = entry.split(/\s+/);
  if (address === 'off')
    return { ok: false, reason: `invalid entry '${entry}': off cannot be combined with other entries` };
  const hostPort = parseHostPort(address);
  if (hostPort === undefined || hostPort.port === undefined) {
    return { ok: false, reason: `invalid entry '${entry}': ${USAGE}` };
  }
  const listener: ListenEntry = {
    host: hostPort.host,
    port: hostPort.port,
    ssl: false,
    http2: false,
    reuseport: false,
    proxyProtocol: false,
  };
  for (const flag of flags) {
    if (flag === 'ssl') listener.ssl = true;
    else if (flag === 'http2') listener.http2 = true;
    else if (flag === 'reuseport') listener.reuseport = true;
    else if (flag === 'proxy_protocol') listener.proxyProtocol = true;
    else if (flag === 'udp') listener.udp = true;
    else if (flag.startsWith('backlog=')) {
      const backlog = flag.slice('backlog='.length);
      if (!/^\d+$/.test(backlog) || Number(backlog) < 1) {
        return { ok: false, reason: `invalid entry '${entry}': backlog must be a positive integer` };
      }
      listener.backlog = Number(backlog);
    } else if (!IGNORED_FLAGS.has(flag)) {
      return { ok: false, reason: `invalid entry '${entry}': unknown flag '${flag}' (${USAGE})` };
    }
  }
  return { ok: true, value: listener };
}

/** `[::1]:8001` or `127.0.0.1:8001`, for messages and URLs. */
export function formatListenAddress(entry: Pick<ListenEntry, 'host' | 'port'>): string {
  return entry.host.includes(':') ? `[${entry.host}]:${entry.port}` : `${entry.host}:${entry.port}`;
}
