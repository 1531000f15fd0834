/**
 * The stream router: which `tcp`, `tls` or `tls_passthrough` route a connection takes, from what
 * a connection has — its source and destination address and port, and for TLS the server name
 * (SNI) — as Kong's traditional router does for streams (kong/router/traditional.lua):
 *
 * - a route matches when every criterion it sets matches: one of its `sources` (ip as an address
 *   or CIDR, and/or port), one of its `destinations` (the address and port the client connected
 *   to), one of its `snis` (exact, as Kong compares them);
 * - the protocol must be one the route lists: `tcp` for plain connections, `tls` for connections
 *   the listener terminated, `tls_passthrough` for TLS it forwards untouched (routed on SNI);
 * - among matches, routes setting more kinds of criteria win (SNI over sources over destinations,
 *   Kong's match-rule bits), then the older route (created_at), then the id.
 *
 * Compiled once per configuration version: per connection, one pass over the routes of its
 * protocol in priority order.
 */

import type { BlockList } from 'node:net';
import type { RouteConfig, RouterProblem, ServiceConfig } from '../router/index.ts';
import { addressList, listed } from './addresses.ts';
import {
  type IpGuard,
  type PluginEntity,
  type StreamLogEntry,
  type StreamPluginRuntime,
  streamPlugins,
} from './plugins.ts';

export type StreamProtocol = 'tcp' | 'tls' | 'tls_passthrough' | 'udp';

export const STREAM_PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'tls', 'tls_passthrough', 'udp']);

/** What the router reads of a connection. */
export interface StreamKey {
  readonly protocol: StreamProtocol;
  readonly sourceIp: string;
  readonly sourcePort: number;
  readonly destinationIp: string;
  readonly destinationPort: number;
  /** The TLS server name, lowercase; undefined for plain TCP or a ClientHello without one. */
  readonly sni: string | undefined;
}

interface Endpoint {
  /** Addresses and CIDR ranges, when the entry sets an ip. */
  readonly ips: BlockList | undefined;
  readonly port: number | undefined;
}

export interface StreamRoute {
  readonly route: RouteConfig;
  readonly service: ServiceConfig | undefined;
  readonly protocols: ReadonlySet<string>;
  readonly sources: readonly Endpoint[] | undefined;
  readonly destinations: readonly Endpoint[] | undefined;
  readonly snis: ReadonlySet<string> | undefined;
  /** The ip-restriction that applies to the route (./plugins.ts), if any. */
  readonly ipGuard: IpGuard | undefined;
  /** The plugins run when a session of the route closes (./log-phase.ts), by priority; often none. */
  readonly logs: readonly StreamLogEntry[];
}

export interface StreamRouter {
  /** The routes in priority order. */
  readonly routes: readonly StreamRoute[];
}

export const EMPTY_STREAM_ROUTER: StreamRouter = Object.freeze({ routes: [] });

type EndpointConfig = { readonly ip?: string | null; readonly port?: number | null };

function endpoint(entry: EndpointConfig): Endpoint {
  const ip = entry.ip ?? undefined;
  return { ips: ip === undefined ? undefined : addressList([ip]), port: entry.port ?? undefined };
}

function endpoints(list: readonly EndpointConfig[] | null | undefined): readonly Endpoint[] | undefined {
  return list === null || list === undefined || list.length === 0 ? undefined : list.map(endpoint);
}

function weight(route: StreamRoute): number {
  return (route.snis ? 4 : 0) + (route.sources ? 2 : 0) + (route.destinations ? 1 : 0);
}

/** A route with a stream protocol (undefined: a deleted route). */
export function isStreamRoute(route: RouteConfig | undefined): boolean {
  return route?.protocols?.some((p) => STREAM_PROTOCOLS.has(p)) === true;
}

/**
 * Kong's stream routes of a configuration, ready to match; `services` by id. `plugins` are the
 * version's plugin entities, `runtime` its compiled instances and handlers (the log entries).
 */
export function compileStreamRouter(
  routes: readonly RouteConfig[],
  services: ReadonlyMap<string, ServiceConfig>,
  plugins: readonly PluginEntity[] = [],
  problems: RouterProblem[] = [],
  runtime?: StreamPluginRuntime,
): StreamRouter {
  const compiled: StreamRoute[] = [];
  for (const route of routes) {
    if (!isStreamRoute(route)) continue;
    const protocols = route.protocols ?? [];
    const service = route.service ? services.get(route.service.id) : undefined;
    if (service?.enabled === false) continue;
    const snis =
      route.snis === null || route.snis === undefined || route.snis.length === 0 ? undefined : route.snis;
    const { ipGuard, logs } = streamPlugins(route, plugins, runtime, problems);
    compiled.push({
      route,
      service,
      protocols: new Set(protocols),
      sources: endpoints(route.sources),
      destinations: endpoints(route.destinations),
      snis: snis === undefined ? undefined : new Set(snis.map((s) => s.toLowerCase())),
      ipGuard,
      logs,
    });
  }
  compiled.sort(
    (a, b) =>
      weight(b) - weight(a) ||
      (a.route.created_at ?? 0) - (b.route.created_at ?? 0) ||
      (a.route.id < b.route.id ? -1 : a.route.id > b.route.id ? 1 : 0),
  );
  return Object.freeze({ routes: compiled });
}

function endpointMatches(list: readonly Endpoint[], ip: string, port: number): boolean {
  for (const e of list) {
    if (e.port !== undefined && e.port !== port) continue;
    if (e.ips !== undefined && !listed(e.ips, ip)) continue;
    return true;
  }
  return false;
}

/** The route a connection takes, or undefined. */
export function matchStream(router: StreamRouter, key: StreamKey): StreamRoute | undefined {
  for (const route of router.routes) {
    if (!route.protocols.has(key.protocol)) continue;
    if (route.snis !== undefined && (key.sni === undefined || !route.snis.has(key.sni))) continue;
    if (route.sources !== undefined && !endpointMatches(route.sources, key.sourceIp, key.sourcePort))
      continue;
    if (
      route.destinations !== undefined &&
      !endpointMatches(route.destinations, key.destinationIp, key.destinationPort)
    )
      continue;
    return route;
  }
  return undefined;
}
