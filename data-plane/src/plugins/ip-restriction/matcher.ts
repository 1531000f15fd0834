/** The allow and deny lists as node's BlockList (resty.ipmatcher's role in Kong), built once per config. */
import { BlockList, isIPv4 } from 'node:net';

export interface IpLists {
  /** undefined: the list is absent or empty (it then takes no part, as Kong's isempty). */
  readonly deny: BlockList | undefined;
  readonly allow: BlockList | undefined;
}

export function blockList(entries: readonly string[] | null | undefined): BlockList | undefined {
  if (entries == null || entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [ip, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIPv4(ip) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(prefix), type);
  }
  return list;
}

/** True when `ip` (as node gives it: IPv4, IPv6, or IPv4-mapped IPv6) is in the list. */
export function listed(list: BlockList, ip: string): boolean {
  return list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
}
