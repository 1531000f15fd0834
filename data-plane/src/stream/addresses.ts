/** Address lists for the stream router and guards: addresses and CIDR ranges, IPv4 and IPv6. */

import { BlockList, isIP } from 'node:net';

export function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** Adds `entry` (an address, or `base/prefix`) to `list`. */
export function addAddress(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  if (slash === -1) list.addAddress(entry, family(entry));
  else {
    const base = entry.slice(0, slash);
    list.addSubnet(base, Number(entry.slice(slash + 1)), family(base));
  }
}

/** A list of the entries; undefined for none. */
export function addressList(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) addAddress(list, entry);
  return list;
}

export function listed(list: BlockList, address: string): boolean {
  return list.check(address, family(address));
}
