/**
 * What a version starts once it serves, and what the one it replaced stops: the balancers' DNS
 * refreshes and active probes (`../balancer/registry.ts`). Run after the swap, never before, so
 * that compiling a version that is then refused changes nothing.
 */

import type { BalancerSource } from '../balancer/registry.ts';
import type { Runtime } from '../runtime/index.ts';

export function activate(next: Runtime, previous: Runtime, balancers: BalancerSource | undefined): void {
  if (balancers === undefined || next.upstreams === previous.upstreams) return;
  balancers.activate(next.upstreams);
  balancers.retire(previous.upstreams);
}
