/**
 * The balancers of the running data plane, by upstream id, across config versions. A version's
 * balancers are made in two steps, so that a version refused after it was compiled (a Nack)
 * leaves the running ones exactly as they were:
 *
 * - `plan` (at compile time, pure): an upstream whose entity and targets did not change keeps its
 *   balancer; a changed one gets a new balancer that takes its peers' health and its targets' DNS
 *   watches by key from the running one; nothing is started, stopped or changed.
 * - `activate` and `retire` (after the swap): the new balancers start their DNS watches and probes
 *   (a probe loop whose settings did not change moves over to the new balancer), then what only the
 *   previous version used is stopped.
 *
 * The balancers of the version before the running one are kept too: a version sent back after a
 * refusal elsewhere (the worker pool's revert) gets those very balancers again, peer health,
 * counters and DNS answers included. Like the undici pools, the registry outlives any Runtime.
 */

import type { Logger, StopMode, Stoppable } from '@turnpike/shared';
import { ActiveChecker, type Probe } from './active-checks.ts';
import { DEFAULT_DNS_SETTINGS, type DnsSettings, DnsWatch, type Resolve, systemResolver } from './dns.ts';
import { compileUpstreamSpec } from './spec.ts';
import type { TargetConfig, UpstreamConfig } from './types.ts';
import { UpstreamBalancer, type UpstreamBalancerOptions } from './upstream-balancer.ts';

export type Balancers = ReadonlyMap<string, UpstreamBalancer>;

/** What the config apply path needs: balancers planned at compile time, activated after the swap. */
export interface BalancerSource {
  /** The balancers of a version's upstreams, by upstream id; changes nothing (see the file comment). */
  plan(upstreams: readonly UpstreamConfig[], targets: readonly TargetConfig[]): Balancers;
  /** After the swap: `next` becomes the set serving; its DNS watches and probes run. */
  activate(next: Balancers): void;
  /** After `activate`: stops the DNS watches and probes only `previous` used. */
  retire(previous: Balancers): void;
}

export interface BalancerRegistryOptions {
  readonly log?: Logger;
  /** Host name resolution; node:dns by default. */
  readonly resolve?: Resolve;
  readonly dns?: Partial<DnsSettings>;
  /** How an active probe is sent; HTTP(S)/TCP by default. */
  readonly probe?: Probe;
  /**
   * Called after a peer's health flipped or a target's DNS answer changed, in any upstream: what
   * the health reports say may differ now (the data plane tells its control plane).
   */
  readonly onHealthChanged?: () => void;
}

const NONE: Balancers = new Map();

/** An upstream's probe loop, and the settings it runs with. */
interface Checking {
  readonly checker: ActiveChecker;
  readonly fingerprint: string;
}

/** The entity and its targets, as one string: equal sources build equal balancers. */
function sourceOf(upstream: UpstreamConfig, targets: readonly TargetConfig[]): string {
  const sorted = [...targets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return JSON.stringify([upstream, sorted]);
}

export class BalancerRegistry implements BalancerSource, Stoppable {
  readonly name = 'balancers';
  readonly #options: BalancerRegistryOptions;
  /** The balancers serving (the last activated set). */
  #active: Balancers = NONE;
  /** The set the last `retire` took out of service. */
  #retired: Balancers = NONE;
  readonly #checking = new Map<string, Checking>();
  #resolve: Resolve | undefined;
  #stopped = false;

  constructor(options: BalancerRegistryOptions = {}) {
    this.#options = options;
  }

  plan(upstreams: readonly UpstreamConfig[], targets: readonly TargetConfig[]): Balancers {
    const byUpstream = new Map<string, TargetConfig[]>();
    for (const target of targets) {
      let list = byUpstream.get(target.upstream.id);
      if (list === undefined) {
        list = [];
        byUpstream.set(target.upstream.id, list);
      }
      list.push(target);
    }
    const next = new Map<string, UpstreamBalancer>();
    for (const upstream of upstreams) {
      const own = byUpstream.get(upstream.id) ?? [];
      const source = sourceOf(upstream, own);
      const running = this.#active.get(upstream.id);
      const kept = running?.source === source ? running : this.#retired.get(upstream.id);
      if (kept?.source === source) {
        next.set(upstream.id, kept);
        continue;
      }
      const spec = compileUpstreamSpec(upstream);
      next.set(
        upstream.id,
        new UpstreamBalancer(spec, own, running, source, this.#balancerOptions(upstream.id)),
      );
    }
    return next;
  }

  activate(next: Balancers): void {
    const previous = this.#active;
    this.#active = next;
    if (this.#stopped) return;
    for (const [id, balancer] of next) {
      if (previous.get(id) === balancer) continue;
      for (const dns of balancer.watches()) dns.start();
      // Answers may have come since the balancer was planned (or since it last served).
      if (balancer.outdated()) balancer.rebuild();
      this.#check(id, balancer);
    }
  }

  retire(previous: Balancers): void {
    if (previous === this.#active) return;
    this.#retired = previous;
    for (const [id, old] of previous) {
      const now = this.#active.get(id);
      if (now === old) continue;
      const kept = new Set(now?.watches());
      for (const dns of old.watches()) if (!kept.has(dns)) dns.stop();
      if (now === undefined) {
        this.#checking.get(id)?.checker.stop();
        this.#checking.delete(id);
      }
    }
  }

  /** Settles when every serving upstream's first DNS resolutions have (tests, readiness). */
  async settled(): Promise<void> {
    await Promise.all([...this.#active.values()].map((b) => b.settled()));
  }

  /** How many upstreams are being balanced. */
  get size(): number {
    return this.#active.size;
  }

  /** Stops every probe and DNS refresh; later activations start none. */
  async stop(_mode?: StopMode, _deadline?: number): Promise<void> {
    this.#stopped = true;
    for (const { checker } of this.#checking.values()) checker.stop();
    this.#checking.clear();
    for (const balancer of this.#active.values()) for (const dns of balancer.watches()) dns.stop();
  }

  /** Starts the upstream's probes, or points a running loop with the same settings at `balancer`. */
  #check(id: string, balancer: UpstreamBalancer): void {
    const checks = balancer.spec.active;
    const running = this.#checking.get(id);
    if (running?.fingerprint === checks.fingerprint) {
      running.checker.retarget(balancer);
      return;
    }
    running?.checker.stop();
    this.#checking.delete(id);
    if (checks.healthyInterval === 0 && checks.unhealthyInterval === 0) return;
    const checker = new ActiveChecker(balancer, this.#options.probe);
    this.#checking.set(id, { checker, fingerprint: checks.fingerprint });
    checker.start();
  }

  #balancerOptions(id: string): UpstreamBalancerOptions {
    const dns = { ...DEFAULT_DNS_SETTINGS, ...this.#options.dns };
    // Both callbacks go to the balancer serving when they fire, whichever version made them.
    const changed = this.#options.onHealthChanged;
    const onDnsChange = () => {
      this.#active.get(id)?.rebuild();
      changed?.();
    };
    return {
      watch: (hostname) => new DnsWatch(hostname, this.#resolver(), dns, onDnsChange),
      healthChanged: () => {
        this.#active.get(id)?.refreshHealth();
        changed?.();
      },
      log: this.#options.log,
    };
  }

  #resolver(): Resolve {
    this.#resolve ??= this.#options.resolve ?? systemResolver();
    return this.#resolve;
  }
}
