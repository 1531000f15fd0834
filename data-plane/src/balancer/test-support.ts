/** Builders for the balancer's unit tests. */

import type { Probe } from './active-checks.ts';
import { type Peer, PeerState, peerKey } from './peer.ts';
import type { BalancerRegistry, Balancers } from './registry.ts';
import type { TargetConfig, UpstreamConfig } from './types.ts';

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

export const up = (extra: Partial<UpstreamConfig> = {}): UpstreamConfig => ({
  id: 'u1',
  name: 'backend',
  ...extra,
});
export const target = (t: string, weight = 100, id = t): TargetConfig => ({
  id,
  target: t,
  weight,
  upstream: { id: 'u1' },
});

/** Installs each version's balancers as the config apply path does: planned, then activated. */
export function serving(registry: BalancerRegistry) {
  let current: Balancers = new Map();
  return (upstreams: readonly UpstreamConfig[], targets: readonly TargetConfig[]): Balancers => {
    const next = registry.plan(upstreams, targets);
    registry.activate(next);
    registry.retire(current);
    current = next;
    return next;
  };
}

/** A probe that records which peers it was asked about and answers `status`. */
export function recordingProbe(status: () => number) {
  const asked: string[] = [];
  let notify: (() => void) | undefined;
  const probe: Probe = async (peer) => {
    asked.push(peer.key);
    notify?.();
    return status();
  };
  return { probe, asked, nextProbe: () => new Promise<void>((resolve) => (notify = resolve)) };
}
