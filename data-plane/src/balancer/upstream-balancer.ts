/**
 * One Upstream entity's balancer in one config version: its targets resolved into peers, the
 * algorithm's structures (rebuilt when DNS answers change, never per request) and health
 * reports. Building one changes nothing else: the peers' health (PeerState) and the targets' DNS
 * watches are taken, by key, from the balancer the running version serves with, which is left as
 * it was. DNS refreshes and probes are the registry's to start when it activates the balancer.
 */

import { isIP } from 'node:net';
import type { Logger } from '@turnpike/shared';
import type { ProbeOutcome, ProbeTarget } from './active-checks.ts';
import { LeastConnections, LeastLatency, RoundRobin } from './algorithms.ts';
import { type DnsWatch, sameList } from './dns.ts';
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
  /** The DNS answer `peers` was built from. */
  resolved: readonly string[] | undefined;
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
  /** A watch for a target name the previous balancer did not have; it is started on activation. */
  readonly watch: (hostname: string) => DnsWatch;
  /** Called when a report flips a peer's health: the balancer serving now rechecks its threshold. */
  readonly healthChanged: () => void;
  readonly log: Logger | undefined;
}

const NO_STATES: ReadonlyMap<string, PeerState> = new Map();

export class UpstreamBalancer implements ProbeTarget {
  readonly spec: UpstreamSpec;
  /** What it was built from (entity and targets): an upstream left unchanged keeps its balancer. */
  readonly source: string;
  readonly #options: UpstreamBalancerOptions;
  /** By `host:port` as configured. */
  readonly #targets: ReadonlyMap<string, TargetEntry>;
  /** Health and load by `target|ip:port`. */
  #states: ReadonlyMap<string, PeerState> = NO_STATES;
  #peers: readonly Peer[] = [];
  #picker: Picker = new RoundRobin(0);
  #ring: HashRing | undefined;
  #healthy = true;

  /** `previous`: the balancer of this upstream in the running version, read and never changed. */
  constructor(
    spec: UpstreamSpec,
    targets: readonly TargetConfig[],
    previous: UpstreamBalancer | undefined,
    source: string,
    options: UpstreamBalancerOptions,
  ) {
    this.spec = spec;
    this.source = source;
    this.#options = options;
    const entries = new Map<string, TargetEntry>();
    const before = previous === undefined ? undefined : previous.#targets;
    for (const config of targets) {
      const { host, port } = parseTarget(config.target);
      const key = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
      const dns = isIP(host) !== 0 ? undefined : (before?.get(key)?.dns ?? options.watch(host));
      entries.set(key, {
        config,
        host,
        port,
        weight: config.weight ?? 100,
        dns,
        peers: [],
        resolved: undefined,
      });
    }
    this.#targets = entries;
    this.#build(previous === undefined ? NO_STATES : previous.#states);
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

  /** The DNS watches of its named targets. */
  *watches(): Generator<DnsWatch> {
    for (const entry of this.#targets.values()) if (entry.dns !== undefined) yield entry.dns;
  }

  /** Settles when every target's first DNS resolution has (once its watch runs). */
  async settled(): Promise<void> {
    await Promise.all([...this.watches()].map((dns) => dns.ready));
  }

  /** The targets' DNS answers changed: peers and the algorithm's structures are rebuilt from them. */
  rebuild(): void {
    this.#build(this.#states);
  }

  /** True when a target's DNS answer is not the one its peers were built from. */
  outdated(): boolean {
    for (const entry of this.#targets.values()) {
      if (entry.dns !== undefined && !sameList(entry.dns.addresses, entry.resolved)) return true;
    }
    return false;
  }

  /** Peers from the targets' addresses, then the algorithm's structures. */
  #build(known: ReadonlyMap<string, PeerState>): void {
    const peers: Peer[] = [];
    const states = new Map<string, PeerState>();
    const entries = [...this.#targets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [target, entry] of entries) {
      entry.resolved = entry.dns?.addresses;
      const addresses = entry.dns === undefined ? [entry.host] : (entry.resolved ?? []);
      const targetPeers: Peer[] = [];
      for (const ip of addresses) {
        const key = peerKey(ip, entry.port);
        const stateKey = `${target}|${key}`;
        const state = known.get(stateKey) ?? new PeerState();
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
    this.refreshHealth();
  }

  /**
   * Kong's healthchecks.threshold: below this share of weight available, nothing is balanced.
   * Peer health is shared with the other versions' balancers of this upstream, so the one
   * serving is told when a report through another flipped a peer.
   */
  refreshHealth(): void {
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
      typeof outcome === 'number'
        ? peer.state.status(outcome, limits)
        : outcome === 'serving'
          ? peer.state.success(limits)
          : peer.state.failure(outcome, limits);
    if (flipped) this.#changed(peer, before, 'active');
  }

  /**
   * Kong's post_health: marks the addresses of target `host:port` (or its one address `address`)
   * healthy or unhealthy; the problem, in Kong's (lua-resty-healthcheck's) words, when there is no
   * such target or address.
   */
  setHealth(
    host: string,
    port: number,
    address: { readonly ip: string; readonly port: number } | undefined,
    healthy: boolean,
  ): string | undefined {
    const entry = [...this.#targets.values()].find((t) => t.host === host && t.port === port);
    if (entry === undefined) return 'target not found';
    const peers =
      address === undefined
        ? entry.peers
        : entry.peers.filter((p) => p.ip === address.ip && p.port === address.port);
    if (peers.length === 0) return address === undefined ? 'no addresses for target' : 'target not found';
    for (const peer of peers) {
      const before = peer.state.healthy;
      if (peer.state.force(healthy)) this.#changed(peer, before, 'admin');
    }
    return undefined;
  }

  #changed(peer: Peer, before: boolean, by: 'active' | 'passive' | 'admin'): void {
    if (before === peer.state.healthy) return;
    this.#options.log?.warn(
      { upstream: this.spec.name, target: peer.target, address: peer.key, by },
      peer.state.healthy ? 'target healthy' : 'target unhealthy',
    );
    this.refreshHealth();
    this.#options.healthChanged();
  }
}
