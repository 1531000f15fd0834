/**
 * One Upstream entity's balancer: its targets resolved into peers, the algorithm's structures
 * (rebuilt when the config or DNS changes, never per request), health reports and active probes.
 * Lives across config versions (the registry reuses it by upstream id) so health survives a swap.
 */

import { isIP } from 'node:net';
import type { Logger } from '@turnpike/shared';
import { ActiveChecker, type Probe, type ProbeOutcome, type ProbeTarget } from './active-checks.ts';
import { LeastConnections, LeastLatency, RoundRobin } from './algorithms.ts';
import { type DnsSettings, DnsWatch, type Resolve } from './dns.ts';
import { type FailureKind, isAvailable, type Peer, PeerState, peerKey } from './peer.ts';
import { buildRing, type HashRing, pickFromRing } from './ring.ts';
import type { ActiveChecks, TargetConfig, UpstreamSpec } from './types.ts';

const DEFAULT_TARGET_PORT = 8000;

/** A target as the balancer holds it: where it points and the peers it currently resolves to. */
export interface TargetEntry {
  readonly config: TargetConfig;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** Undefined for an IP target. */
  readonly dns: DnsWatch | undefined;
  peers: readonly Peer[];
}

/** `host:port` / `[v6]:port` / `host` → host and port (Kong's DAO adds port 8000 when absent). */
export function parseTarget(target: string): { host: string; port: number } {
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    const port = target.slice(end + 1).startsWith(':') ? Number(target.slice(end + 2)) : DEFAULT_TARGET_PORT;
    return { host: target.slice(1, end), port };
  }
  const colon = target.lastIndexOf(':');
  if (colon === -1 || target.indexOf(':') !== colon) return { host: target, port: DEFAULT_TARGET_PORT };
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
}

type Picker = { pick(peers: readonly Peer[], avoid: Peer | undefined): Peer | undefined };

export interface UpstreamBalancerOptions {
  readonly resolve: Resolve;
  readonly dns: DnsSettings;
  readonly probe: Probe | undefined;
  readonly log: Logger | undefined;
}

export class UpstreamBalancer implements ProbeTarget {
  spec: UpstreamSpec;
  readonly #options: UpstreamBalancerOptions;
  /** By `host:port` as configured. */
  #targets = new Map<string, TargetEntry>();
  /** Health and load by `target|ip:port`: kept while the peer stays in the balancer. */
  #states = new Map<string, PeerState>();
  #peers: readonly Peer[] = [];
  #picker: Picker = new RoundRobin(0);
  #ring: HashRing | undefined;
  #healthy = true;
  #checker: ActiveChecker | undefined;
  #stopped = false;

  constructor(spec: UpstreamSpec, targets: readonly TargetConfig[], options: UpstreamBalancerOptions) {
    this.spec = spec;
    this.#options = options;
    this.update(spec, targets);
  }

  get checks(): ActiveChecks {
    return this.spec.active;
  }

  /** The current peers, in a stable order (by target, then address). */
  peers(): readonly Peer[] {
    return this.#peers;
  }

  targets(): IterableIterator<TargetEntry> {
    return this.#targets.values();
  }

  /** Settles when every target's first DNS resolution has. */
  async settled(): Promise<void> {
    await Promise.all([...this.#targets.values()].map((t) => t.dns?.ready));
  }

  /** Installs a new version's settings and targets; health and DNS of kept targets carry over. */
  update(spec: UpstreamSpec, targets: readonly TargetConfig[]): void {
    const previous = this.spec;
    this.spec = spec;
    const next = new Map<string, TargetEntry>();
    for (const config of targets) {
      const { host, port } = parseTarget(config.target);
      const weight = config.weight ?? 100;
      const key = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
      const old = this.#targets.get(key);
      if (old !== undefined && old.weight === weight) {
        next.set(key, { ...old, config });
        continue;
      }
      const dns =
        old?.dns ??
        (isIP(host) === 0
          ? new DnsWatch(host, this.#options.resolve, this.#options.dns, () => this.#rebuild())
          : undefined);
      next.set(key, { config, host, port, weight, dns, peers: [] });
    }
    for (const [key, old] of this.#targets) if (!next.has(key)) old.dns?.stop();
    this.#targets = next;
    this.#rebuild();
    if (this.#checker === undefined || previous.active.fingerprint !== spec.active.fingerprint) {
      this.#restartChecks();
    }
  }

  #restartChecks(): void {
    this.#checker?.stop();
    this.#checker = undefined;
    if (this.#stopped) return;
    const checks = this.spec.active;
    if (checks.healthyInterval === 0 && checks.unhealthyInterval === 0) return;
    this.#checker = new ActiveChecker(this, this.#options.probe);
    this.#checker.start();
  }

  /** Peers from the targets' addresses, then the algorithm's structures. */
  #rebuild(): void {
    const peers: Peer[] = [];
    const states = new Map<string, PeerState>();
    const entries = [...this.#targets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [target, entry] of entries) {
      const addresses = entry.dns === undefined ? [entry.host] : (entry.dns.addresses ?? []);
      const targetPeers: Peer[] = [];
      for (const ip of addresses) {
        const key = peerKey(ip, entry.port);
        const stateKey = `${target}|${key}`;
        const state = this.#states.get(stateKey) ?? new PeerState();
        states.set(stateKey, state);
        targetPeers.push({
          ip,
          port: entry.port,
          weight: entry.weight,
          key,
          hostname: entry.host,
          target,
          state,
        });
      }
      entry.peers = targetPeers;
      peers.push(...targetPeers);
    }
    this.#states = states;
    this.#peers = peers;
    const algorithm = this.spec.algorithm;
    this.#ring = algorithm === 'consistent-hashing' ? buildRing(peers, this.spec.slots) : undefined;
    this.#picker =
      algorithm === 'least-connections'
        ? new LeastConnections()
        : algorithm === 'latency'
          ? new LeastLatency()
          : new RoundRobin(peers.length);
    this.#checkThreshold();
  }

  /** Kong's healthchecks.threshold: below this share of weight available, nothing is balanced. */
  #checkThreshold(): void {
    const threshold = this.spec.threshold;
    if (threshold === 0) {
      this.#healthy = true;
      return;
    }
    let total = 0;
    let available = 0;
    for (const peer of this.#peers) {
      total += peer.weight;
      if (isAvailable(peer)) available += peer.weight;
    }
    this.#healthy = total > 0 && (available * 100) / total >= threshold;
  }

  /** False when healthchecks.threshold is not met (or nothing is available): nothing is balanced. */
  get healthy(): boolean {
    return this.#healthy && this.#peers.some(isAvailable);
  }

  /** A peer for a request; `hash` for consistent hashing, `avoid` the peer a retry moves away from. */
  pick(hash: string, avoid: Peer | undefined): Peer | undefined {
    if (!this.#healthy) return undefined;
    if (this.#ring !== undefined) return pickFromRing(this.#ring, hash, avoid);
    return this.#picker.pick(this.#peers, avoid);
  }

  /** The Host header for a peer when the route does not preserve the client's (Kong's set_host_header). */
  hostFor(peer: Peer, scheme: 'http' | 'https' = 'http'): string {
    const name = this.spec.hostHeader ?? (peer.hostname.includes(':') ? `[${peer.hostname}]` : peer.hostname);
    const defaultPort = scheme === 'https' ? 443 : 80;
    return peer.port === defaultPort ? name : `${name}:${peer.port}`;
  }

  /** A response status from real traffic (passive checks). */
  reportStatus(peer: Peer, status: number): void {
    const before = peer.state.healthy;
    if (peer.state.status(status, this.spec.passive)) this.#changed(peer, before, 'passive');
  }

  /** A connection failure or timeout from real traffic (passive checks). */
  reportFailure(peer: Peer, kind: FailureKind): void {
    const before = peer.state.healthy;
    if (peer.state.failure(kind, this.spec.passive)) this.#changed(peer, before, 'passive');
  }

  /** An active probe's result. */
  report(peer: Peer, outcome: ProbeOutcome): void {
    const limits = this.spec.active.limits;
    const before = peer.state.healthy;
    const flipped =
      typeof outcome === 'number' ? peer.state.status(outcome, limits) : peer.state.failure(outcome, limits);
    if (flipped) this.#changed(peer, before, 'active');
  }

  #changed(peer: Peer, before: boolean, by: 'active' | 'passive'): void {
    if (before === peer.state.healthy) return;
    this.#options.log?.warn(
      { upstream: this.spec.name, target: peer.target, address: peer.key, by },
      peer.state.healthy ? 'target healthy' : 'target unhealthy',
    );
    this.#checkThreshold();
  }

  /** Stops DNS refreshes and probes: the upstream left the config, or the proxy stops. */
  stop(): void {
    this.#stopped = true;
    this.#checker?.stop();
    this.#checker = undefined;
    for (const entry of this.#targets.values()) entry.dns?.stop();
  }
}
