/**
 * The balancers of the running data plane, by upstream id. Each config version calls `update`:
 * an upstream that stays keeps its balancer (health, DNS answers, probes); a new one gets a
 * balancer; a removed one is stopped. Like the undici pools, the registry outlives any Runtime.
 */

import type { Logger, StopMode, Stoppable } from '@turnpike/shared';
import type { Probe } from './active-checks.ts';
import { DEFAULT_DNS_SETTINGS, type DnsSettings, type Resolve, systemResolver } from './dns.ts';
import { compileUpstreamSpec } from './spec.ts';
import type { TargetConfig, UpstreamConfig } from './types.ts';
import { UpstreamBalancer } from './upstream-balancer.ts';

/** What compileRuntime asks for: the balancers of a version's upstreams, by upstream id. */
export interface BalancerSource {
  update(
    upstreams: readonly UpstreamConfig[],
    targets: readonly TargetConfig[],
  ): ReadonlyMap<string, UpstreamBalancer>;
}

export interface BalancerRegistryOptions {
  readonly log?: Logger;
  /** Host name resolution; node:dns by default. */
  readonly resolve?: Resolve;
  readonly dns?: Partial<DnsSettings>;
  /** How an active probe is sent; HTTP(S)/TCP by default. */
  readonly probe?: Probe;
}

export class BalancerRegistry implements BalancerSource, Stoppable {
  readonly name = 'balancers';
  readonly #balancers = new Map<string, UpstreamBalancer>();
  readonly #options: BalancerRegistryOptions;
  #resolve: Resolve | undefined;
  #stopped = false;

  constructor(options: BalancerRegistryOptions = {}) {
    this.#options = options;
  }

  update(
    upstreams: readonly UpstreamConfig[],
    targets: readonly TargetConfig[],
  ): ReadonlyMap<string, UpstreamBalancer> {
    const byUpstream = new Map<string, TargetConfig[]>();
    for (const target of targets) {
      let list = byUpstream.get(target.upstream.id);
      if (list === undefined) {
        list = [];
        byUpstream.set(target.upstream.id, list);
      }
      list.push(target);
    }
    const seen = new Set<string>();
    for (const upstream of upstreams) {
      seen.add(upstream.id);
      const spec = compileUpstreamSpec(upstream);
      const own = byUpstream.get(upstream.id) ?? [];
      const existing = this.#balancers.get(upstream.id);
      if (existing !== undefined) {
        existing.update(spec, own);
        continue;
      }
      this.#balancers.set(
        upstream.id,
        new UpstreamBalancer(spec, own, {
          resolve: this.#resolver(),
          dns: { ...DEFAULT_DNS_SETTINGS, ...this.#options.dns },
          probe: this.#options.probe,
          log: this.#options.log,
        }),
      );
    }
    for (const [id, balancer] of this.#balancers) {
      if (seen.has(id)) continue;
      balancer.stop();
      this.#balancers.delete(id);
    }
    if (this.#stopped) for (const balancer of this.#balancers.values()) balancer.stop();
    return new Map(this.#balancers);
  }

  /** Settles when every upstream's first DNS resolutions have (tests, readiness). */
  async settled(): Promise<void> {
    await Promise.all([...this.#balancers.values()].map((b) => b.settled()));
  }

  get size(): number {
    return this.#balancers.size;
  }

  /** Stops every probe and DNS refresh; later updates start none. */
  async stop(_mode?: StopMode, _deadline?: number): Promise<void> {
    this.#stopped = true;
    for (const balancer of this.#balancers.values()) balancer.stop();
  }

  #resolver(): Resolve {
    this.#resolve ??= this.#options.resolve ?? systemResolver();
    return this.#resolve;
  }
}
