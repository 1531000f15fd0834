/**
 * Picking a peer without hashing. Each pick walks the peer array once and allocates nothing.
 * `avoid` is the peer the previous attempt failed on: a retry goes elsewhere when it can.
 */

import { isAvailable, type Peer } from './peer.ts';

/**
 * Weighted round-robin. Kong walks a shuffled wheel holding each address weight/gcd times; the
 * smooth weighted round-robin of nginx gives the same shares per cycle without a wheel whose size
 * is the sum of the weights, and spreads a heavy peer's turns through the cycle.
 */
export class RoundRobin {
  readonly #current: Float64Array;

  constructor(size: number) {
    this.#current = new Float64Array(size);
  }

  pick(peers: readonly Peer[], avoid: Peer | undefined): Peer | undefined {
    const current = this.#current;
    let total = 0;
    let best = -1;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      if (!isAvailable(peer) || peer === avoid) continue;
      current[i]! += peer.weight;
      total += peer.weight;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best === -1) return avoid !== undefined && isAvailable(avoid) ? avoid : undefined;
    current[best]! -= total;
    return peers[best];
  }
}

/**
 * The peer with the lowest score; ties go to the first one after the previous pick, so equal
 * peers take turns instead of the first always winning.
 */
class LowestScore {
  #cursor = 0;
  readonly #score: (peer: Peer) => number;

  constructor(score: (peer: Peer) => number) {
    this.#score = score;
  }

  pick(peers: readonly Peer[], avoid: Peer | undefined): Peer | undefined {
    const n = peers.length;
    let best: Peer | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    let bestIndex = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      const peer = peers[i]!;
      if (!isAvailable(peer) || peer === avoid) continue;
      const score = this.#score(peer);
      if (score < bestScore) {
        best = peer;
        bestScore = score;
        bestIndex = i;
      }
    }
    if (best === undefined) return avoid !== undefined && isAvailable(avoid) ? avoid : undefined;
    this.#cursor = bestIndex + 1;
    return best;
  }
}

/** Kong's least-connections score: (connections + 1) / weight. */
function connectionScore(peer: Peer): number {
  return (peer.state.active + 1) / peer.weight;
}

/** Latency: the response-time EWMA scaled by the load; a peer not yet measured scores 0 and is tried first. */
function latencyScore(peer: Peer): number {
  return peer.state.ewma * (peer.state.active + 1);
}

export class LeastConnections extends LowestScore {
  constructor() {
    super(connectionScore);
  }
}

export class LeastLatency extends LowestScore {
  constructor() {
    super(latencyScore);
  }
}
