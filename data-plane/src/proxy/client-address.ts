/**
 * Who is on the other end of a connection, decided once per connection: the peer address and
 * whether trusted_ips trusts it (then its X-Forwarded-* and real_ip_header are believed, as
 * Kong's realip setup does).
 */

import type { Socket } from 'node:net';
import { BlockList, isIPv6 } from 'node:net';

export interface Peer {
  /** The address that connected, IPv4-mapped IPv6 written as IPv4 (nginx's $realip_remote_addr). */
  readonly address: string;
  readonly trusted: boolean;
}

const kPeer = Symbol('turnpike.peer');
type SocketWithPeer = Socket & { [kPeer]?: Peer };

function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Compiles trusted_ips (addresses and CIDR blocks; `0.0.0.0/0,::/0` trusts everyone). */
export function compileTrustedIps(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (slash === -1) list.addAddress(address, type);
    else list.addSubnet(address, Number(entry.slice(slash + 1)), type);
  }
  return list;
}

export function isTrusted(list: BlockList | undefined, address: string): boolean {
  if (list === undefined || address === '') return false;
  return list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}

/** The connection's Peer, computed on its first request and kept on the socket. */
export function peerOf(socket: Socket, trusted: BlockList | undefined): Peer {
  const s = socket as SocketWithPeer;
  let peer = s[kPeer];
  if (peer === undefined) {
    const address = plainAddress(socket.remoteAddress);
    peer = { address, trusted: isTrusted(trusted, address) };
    s[kPeer] = peer;
  }
  return peer;
}

/**
 * nginx's realip: the client address taken from real_ip_header when the peer is trusted. For a
 * list (X-Forwarded-For style) the last address, or with `recursive` the last one not trusted.
 */
export function realClientAddress(
  peer: Peer,
  headerValue: string | undefined,
  trusted: BlockList | undefined,
  recursive: boolean,
): string {
  if (!peer.trusted || headerValue === undefined) return peer.address;
  const parts = headerValue.split(',');
  for (let i = parts.length - 1; i >= 0; i--) {
    const candidate = parts[i]!.trim();
    if (candidate === '') continue;
    if (!recursive || i === 0 || !isTrusted(trusted, candidate)) return candidate;
  }
  return peer.address;
}
