/**
 * Plugins on stream routes. The stream proxy runs no plugin chain (Kong's preread and log
 * phases are not implemented for streams), except the one whose absence would be a security
 * hole: ip-restriction, which Kong's defaults apply to `tcp` and `tls` routes too. Its effective
 * instance for a stream route is found with Kong's precedence without a consumer (route and
 * service, then route, then service, then global), among enabled instances whose `protocols`
 * take the route's protocol, and compiled into address lists once per version: a denied
 * connection is closed before anything reaches the service, as Kong's preread exits.
 *
 * Any other plugin that applies to a stream route is reported as a configuration problem (the
 * apply log names it) rather than passed over in silence.
 */

import { type BlockList, isIP } from 'node:net';
import type { RouteConfig, RouterProblem } from '../router/index.ts';
import { addressList, listed } from './addresses.ts';

interface PluginEntity {
  readonly id: string;
  readonly name: string;
  readonly enabled?: boolean | null;
  readonly protocols?: readonly string[] | null;
  readonly route?: { readonly id: string } | null;
  readonly service?: { readonly id: string } | null;
  readonly consumer?: { readonly id: string } | null;
  readonly config?: Record<string, unknown> | null;
}

export interface IpGuard {
  readonly allow: BlockList | undefined;
  readonly deny: BlockList | undefined;
}

/** Plugins served on streams outside this guard: prometheus counts sessions at close (../observability/kong-metrics.ts). */
const NO_STREAM_EFFECT: ReadonlySet<string> = new Set(['prometheus']);

function listOf(values: unknown): BlockList | undefined {
  return Array.isArray(values)
    ? addressList(values.filter((v): v is string => typeof v === 'string'))
    : undefined;
}

/** Kong's order for instances without a consumer: lower is more specific. */
function rank(p: PluginEntity): number {
  const route = p.route != null;
  const service = p.service != null;
  return route && service ? 0 : route ? 1 : service ? 2 : 3;
}

function appliesTo(p: PluginEntity, route: RouteConfig, protocols: readonly string[]): boolean {
  if (p.enabled === false || p.consumer != null) return false;
  if (p.route != null && p.route.id !== route.id) return false;
  if (p.service != null && p.service.id !== route.service?.id) return false;
  const taken = p.protocols;
  return taken == null || taken.some((x) => protocols.includes(x));
}

/** The stream route's ip-restriction lists, if an instance applies; other plugins as problems. */
export function streamGuards(
  route: RouteConfig,
  plugins: readonly PluginEntity[],
  problems: RouterProblem[],
): IpGuard | undefined {
  const protocols = route.protocols ?? [];
  let best: PluginEntity | undefined;
  const others = new Set<string>();
  for (const p of plugins) {
    if (!appliesTo(p, route, protocols)) continue;
    if (p.name === 'ip-restriction') {
      if (best === undefined || rank(p) < rank(best)) best = p;
    } else if (!NO_STREAM_EFFECT.has(p.name)) others.add(p.name);
  }
  for (const name of others) {
    problems.push({
      routeId: route.id,
      message: `plugin '${name}' applies to stream route ${route.id} but does not run on streams yet (only ip-restriction does)`,
    });
  }
  if (best === undefined) return undefined;
  return { allow: listOf(best.config?.allow), deny: listOf(best.config?.deny) };
}

/** Whether the guard lets a connection from `ip` through (deny first, then allow, as Kong). */
export function guardAllows(guard: IpGuard, ip: string): boolean {
  if (isIP(ip) === 0) return false;
  if (guard.deny !== undefined && listed(guard.deny, ip)) return false;
  return guard.allow === undefined || listed(guard.allow, ip);
}
