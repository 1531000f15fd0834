/**
 * The files Kong's DNS client reads, parsed as it parses them (kong/resty/dns/utils.lua): the
 * hosts file of dns_hostsfile and /etc/resolv.conf's search list. Read once, by the main process,
 * into the ResolverSettings every worker gets.
 */

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { TurnpikeConfig } from '@turnpike/shared/config';
import type { DnsRecordType, HostsEntry, ResolverSettings } from './dns.ts';

export const RESOLV_CONF = '/etc/resolv.conf';
/** Kong reads at most this many search domains (utils.lua MAXSEARCH). */
const MAX_SEARCH = 6;

/** `ip name [aliases…]` lines, `#` comments; names lowercase; the first address of a family wins. */
export function parseHostsFile(text: string): Map<string, HostsEntry> {
  const hosts = new Map<string, HostsEntry>();
  for (const raw of text.split(/\r?\n/)) {
    const [ip, ...names] = (raw.split('#', 1)[0] ?? '').trim().toLowerCase().split(/\s+/);
    const family = ip === undefined ? 0 : isIP(ip);
    if (family === 0) continue;
    for (const name of names) {
      const entry = hosts.get(name) ?? {};
      if (family === 4 && entry.ipv4 === undefined) hosts.set(name, { ...entry, ipv4: ip as string });
      if (family === 6 && entry.ipv6 === undefined) hosts.set(name, { ...entry, ipv6: ip as string });
    }
  }
  // Kong adds localhost when the file lacks it.
  if (!hosts.has('localhost')) hosts.set('localhost', { ipv4: '127.0.0.1', ipv6: '::1' });
  return hosts;
}

/** resolv.conf's `search` (or `domain`, the last of the two wins) and `options ndots:N` (default 1). */
export function parseResolvConf(text: string): { search: string[]; ndots: number } {
  let search: string[] = [];
  let ndots = 1;
  for (const raw of text.split(/\r?\n/)) {
    const [option, ...values] = (raw.split(/[#;]/, 1)[0] ?? '').trim().split(/\s+/);
    if (option === 'search') search = values.map((v) => v.toLowerCase()).slice(0, MAX_SEARCH);
    else if (option === 'domain' && values[0] !== undefined) search = [values[0].toLowerCase()];
    else if (option === 'options') {
      for (const value of values) {
        const match = /^ndots:(\d+)$/.exec(value);
        if (match !== null) ndots = Number(match[1]);
      }
    }
  }
  return { search: search.filter((d) => d !== '.' && d !== ''), ndots };
}

type DnsConfigKeys = 'dns_resolver' | 'dns_hostsfile' | 'dns_order' | 'dns_valid_ttl';

/** The resolver settings of a configured node: its dns_* keys, its hosts file and resolv.conf. */
export async function readResolverSettings(
  config: Pick<TurnpikeConfig, DnsConfigKeys>,
  resolvConf = RESOLV_CONF,
): Promise<ResolverSettings> {
  const hosts = parseHostsFile(await readFile(config.dns_hostsfile, 'utf8'));
  // No resolv.conf (some minimal images): no search list, as Kong.
  const resolv = parseResolvConf(await readFile(resolvConf, 'utf8').catch(() => ''));
  return {
    servers: config.dns_resolver,
    hosts,
    order: config.dns_order.filter((type): type is DnsRecordType => type !== 'SRV'),
    search: resolv.search,
    ndots: resolv.ndots,
    validTtl: config.dns_valid_ttl,
    systemFallback: false,
  };
}
