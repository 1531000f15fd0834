/**
 * Plugins on stream routes (Kong's preread and log phases for `tcp`, `tls`, `tls_passthrough`
 * and `udp`). Per stream route and plugin name, the effective instance is found with Kong's
 * precedence without a consumer (route and service, then route, then service, then global) among
 * enabled instances whose `protocols` take the route's protocol. Then:
 *
 * - ip-restriction (Kong's defaults apply it to tcp and tls) is the connection guard: its lists are
 *   compiled once per version, and a denied connection is closed before anything reaches the
 *   service, as Kong's preread exits;
 * - a plugin whose handler has `streamLog` (file-log, http-log, tcp-log, udp-log, syslog, custom
 *   ones) becomes one of the route's log entries, higher priority first, run at close by
 *   ./log-phase.ts with the version's compiled instance (its `configure` result and `ctx.cache`,
 *   the ones its HTTP phases get);
 * - prometheus counts sessions on its own (../observability/kong-metrics.ts);
 * - any other plugin is reported as a configuration problem (the apply log names it) rather than
 *   passed over in silence.
 */

import { type BlockList, isIP } from 'node:net';
import type { Logger, PluginHandler, StreamLogFunction } from '@turnpike/plugin-sdk';
import type { CompiledInstance } from '../plugin-chain/instance.ts';
import type { RouteConfig, RouterProblem } from '../router/index.ts';
import { addressList, listed } from './addresses.ts';

export interface PluginEntity {
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

/** One plugin of a stream route's log phase: its compiled instance and its stream phase. */
export interface StreamLogEntry {
  readonly name: string;
  readonly priority: number;
  readonly instance: CompiledInstance;
  readonly streamLog: StreamLogFunction<unknown>;
  /** The plugin's logger (the child its HTTP phases log with). */
  readonly log: Logger;
}

/** What the version's plugin runtime lends the stream router: handlers, compiled instances, loggers. */
export interface StreamPluginRuntime {
  readonly handlers: ReadonlyMap<string, PluginHandler>;
  readonly instances: ReadonlyMap<string, CompiledInstance>;
  /** The plugin's logger: made once per name. */
  logFor(name: string): Logger;
}

/** What the stream router keeps per route. */
export interface StreamPlugins {
  readonly ipGuard: IpGuard | undefined;
  readonly logs: readonly StreamLogEntry[];
}

const NO_LOGS: readonly StreamLogEntry[] = Object.freeze([]);

/** Plugins served on streams outside this module: prometheus counts sessions at close. */
const OWN_STREAM_EFFECT: ReadonlySet<string> = new Set(['prometheus']);

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

/** The effective instance of each plugin name on `route` (Kong's precedence, no consumer). */
export function effectiveInstances(
  route: RouteConfig,
  plugins: Iterable<PluginEntity>,
): Map<string, PluginEntity> {
  const protocols = route.protocols ?? [];
  const best = new Map<string, PluginEntity>();
  for (const p of plugins) {
    if (!appliesTo(p, route, protocols)) continue;
    const prior = best.get(p.name);
    if (prior === undefined || rank(p) < rank(prior)) best.set(p.name, p);
  }
  return best;
}

/** The stream route's guard and log entries; plugins that cannot run on streams, as problems. */
export function streamPlugins(
  route: RouteConfig,
  plugins: Iterable<PluginEntity>,
  runtime: StreamPluginRuntime | undefined,
  problems: RouterProblem[],
): StreamPlugins {
  let ipGuard: IpGuard | undefined;
  const logs: StreamLogEntry[] = [];
  for (const [name, entity] of effectiveInstances(route, plugins)) {
    if (name === 'ip-restriction') {
      ipGuard = { allow: listOf(entity.config?.allow), deny: listOf(entity.config?.deny) };
      continue;
    }
    if (OWN_STREAM_EFFECT.has(name)) continue;
    const handler = runtime?.handlers.get(name);
    const instance = runtime?.instances.get(entity.id);
    if (handler?.streamLog !== undefined && instance !== undefined && runtime !== undefined) {
      logs.push({
        name,
        priority: handler.priority,
        instance,
        streamLog: handler.streamLog as StreamLogFunction<unknown>,
        log: runtime.logFor(name),
      });
      continue;
    }
    problems.push({
      routeId: route.id,
      message: `plugin '${name}' applies to stream route ${route.id} but does not run on streams (ip-restriction, prometheus and plugins with a stream log phase do)`,
    });
  }
  // Higher priority first; equal priorities by name, as the HTTP chains order them.
  logs.sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  return { ipGuard, logs: logs.length === 0 ? NO_LOGS : Object.freeze(logs) };
}

/** Whether the guard lets a connection from `ip` through (deny first, then allow, as Kong). */
export function guardAllows(guard: IpGuard, ip: string): boolean {
  if (isIP(ip) === 0) return false;
  if (guard.deny !== undefined && listed(guard.deny, ip)) return false;
  return guard.allow === undefined || listed(guard.allow, ip);
}
