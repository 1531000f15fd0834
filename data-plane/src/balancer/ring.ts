/**
 * Consistent hashing as Kong builds it (kong/runloop/balancer/consistent_hashing.lua, Ketama):
 * a continuum of `slots` points; each address takes points in proportion to its weight, placed
 * by hashing `ip:port i`; a request hashes its value to a point and walks counter-clockwise to
 * the first available address. Kong hashes with xxhash32; Turnpike uses node's native crc32 (only
 * the spread matters, not the exact placement). Built once per config version or DNS change.
 */

import { crc32 } from 'node:zlib';
import { isAvailable, type Peer } from './peer.ts';

/** Kong's SERVER_POINTS: points per address when all weights are equal. */
const POINTS_PER_PEER = 160;
const EMPTY = -1;

export interface HashRing {
  /** Peer index by point, EMPTY where no address took the point. */
  readonly points: Int32Array;
  readonly peers: readonly Peer[];
}

/** `peers` must be in a stable order (the registry sorts them) so that every build is the same. */
export function buildRing(peers: readonly Peer[], slots: number): HashRing {
  const points = new Int32Array(slots).fill(EMPTY);
  let totalWeight = 0;
  let weighted = 0;
  for (const peer of peers) {
    totalWeight += peer.weight;
    if (peer.weight > 0) weighted++;
  }
  if (totalWeight === 0) return { points, peers };
  // Kong gives up when the continuum is too small; here the budget is capped at the continuum.
  const budget = Math.min(weighted * POINTS_PER_PEER, slots);
  let taken = 0;
  for (let p = 0; p < peers.length; p++) {
    const peer = peers[p]!;
    if (peer.weight === 0) continue;
    let entries = Math.max(1, Math.floor((peer.weight / totalWeight) * budget));
    for (let i = 1; i <= entries && taken < slots; i++) {
      const index = crc32(`${peer.key} ${i}`) % slots;
      if (points[index] === EMPTY) {
        points[index] = p;
        taken++;
      } else if (entries < slots) {
        entries++; // Kong moves a collision forward: one more name to hash.
      }
    }
  }
  return { points, peers };
}

/** The point a hash value lands on. */
export function ringIndex(value: string, slots: number): number {
  return crc32(value) % slots;
}

/**
 * The first available peer at or counter-clockwise from the value's point, other than `avoid`
 * (a retry); `avoid` itself only when nothing else is available.
 */
export function pickFromRing(ring: HashRing, value: string, avoid: Peer | undefined): Peer | undefined {
  const points = ring.points;
  const slots = points.length;
  let index = ringIndex(value, slots);
  for (let n = 0; n < slots; n++) {
    const p = points[index]!;
    if (p !== EMPTY) {
      const peer = ring.peers[p]!;
      if (peer !== avoid && isAvailable(peer)) return peer;
    }
    index = index === 0 ? slots - 1 : index - 1;
  }
  return avoid !== undefined && isAvailable(avoid) ? avoid : undefined;
}
