/**
 * Per-upstream health in the shape of Kong's `GET /upstreams/{upstream}/health` (kong/db/dao/targets.lua
 * page_for_upstream_with_health, balancers getTargetStatus), for the Admin API and status endpoints.
 */

import { isAvailable } from './peer.ts';
import type { TargetConfig } from './types.ts';
import type { UpstreamBalancer } from './upstream-balancer.ts';

export type HealthValue = 'HEALTHY' | 'UNHEALTHY' | 'DNS_ERROR' | 'HEALTHCHECKS_OFF';

export interface AddressHealth {
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  readonly health: HealthValue;
}

export interface TargetStatus {
  readonly host: string;
  readonly port: number;
  readonly dns: string;
  readonly nodeWeight: number;
  readonly weight: { readonly total: number; readonly available: number; readonly unavailable: number };
  readonly addresses: readonly AddressHealth[];
}

export type TargetHealth = TargetConfig & { readonly health: HealthValue; readonly data: TargetStatus };

export interface UpstreamHealth {
  readonly total: number;
  readonly node_id: string | null;
  readonly data: readonly TargetHealth[];
  readonly next: null;
}

export interface BalancerHealth {
  readonly data: {
    readonly id: string;
    readonly health: 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF';
    readonly details?: {
      readonly healthy: boolean;
      readonly weight: { readonly total: number; readonly available: number; readonly unavailable: number };
    };
  };
}

/** What the reports read: a Runtime (or anything holding the balancers by upstream id). */
export interface HasUpstreams {
  readonly upstreams: ReadonlyMap<string, UpstreamBalancer>;
}

export function upstreamHealth(balancer: UpstreamBalancer, nodeId: string | null = null): UpstreamHealth {
  const using = balancer.spec.usingHealthchecks;
  const data: TargetHealth[] = [];
  for (const entry of balancer.targets()) {
    let available = 0;
    const addresses = entry.peers.map((peer): AddressHealth => {
      if (isAvailable(peer)) available += peer.weight;
      return {
        ip: peer.ip,
        port: peer.port,
        weight: peer.weight,
        health: using ? (peer.state.healthy ? 'HEALTHY' : 'UNHEALTHY') : 'HEALTHCHECKS_OFF',
      };
    });
    let health: HealthValue = 'DNS_ERROR';
    if (addresses.length > 0) {
      // As Kong: any healthy address makes the target healthy.
      health = 'HEALTHCHECKS_OFF';
      for (const address of addresses) {
        if (address.health === 'HEALTHY') {
          health = 'HEALTHY';
          break;
        }
        if (address.health === 'UNHEALTHY') health = 'UNHEALTHY';
      }
    }
    const total = entry.weight * addresses.length;
    data.push({
      ...entry.config,
      health,
      data: {
        host: entry.host,
        port: entry.port,
        dns:
          entry.dns === undefined ? 'A' : entry.dns.error === undefined ? 'A' : `error: ${entry.dns.error}`,
        nodeWeight: total,
        weight: { total, available, unavailable: total - available },
        addresses,
      },
    });
  }
  return { total: data.length, node_id: nodeId, data, next: null };
}

/** Kong's `/upstreams/{u}/health` body; undefined when the runtime has no such upstream. */
export function balancerHealth(
  runtime: HasUpstreams,
  upstreamId: string,
  nodeId: string | null = null,
): UpstreamHealth | undefined {
  const balancer = runtime.upstreams.get(upstreamId);
  return balancer === undefined ? undefined : upstreamHealth(balancer, nodeId);
}

/** Kong's `/upstreams/{u}/health?balancer_health=1` body. */
export function upstreamBalancerHealth(
  runtime: HasUpstreams,
  upstreamId: string,
): BalancerHealth | undefined {
  const balancer = runtime.upstreams.get(upstreamId);
  if (balancer === undefined) return undefined;
  if (!balancer.spec.usingHealthchecks) return { data: { id: upstreamId, health: 'HEALTHCHECKS_OFF' } };
  let total = 0;
  let available = 0;
  for (const peer of balancer.peers()) {
    total += peer.weight;
    if (isAvailable(peer)) available += peer.weight;
  }
  const healthy = balancer.healthy;
  return {
    data: {
      id: upstreamId,
      health: healthy ? 'HEALTHY' : 'UNHEALTHY',
      details: { healthy, weight: { total, available, unavailable: total - available } },
    },
  };
}
