/** Builders for the balancer's unit tests. */

import { type Peer, PeerState, peerKey } from './peer.ts';

export function peer(ip: string, weight = 100, port = 80): Peer {
  return {
    ip,
    port,
    weight,
    key: peerKey(ip, port),
    hostname: ip,
    target: `${ip}:${port}`,
    state: new PeerState(),
  };
}

/** How many times each peer (by ip) was picked. */
export function tally(picks: readonly (Peer | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of picks) {
    const key = p?.ip ?? 'none';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
