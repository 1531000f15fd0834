/**
 * Route priority exactly as router_flavor = traditional_compatible computes it
 * (kong/router/transform.lua `get_priority`, formerly compat.lua). Kong packs it into a 64-bit
 * number, most significant first:
 *
 *   match weight (3 bits)   how many of methods, hosts, headers, snis, paths are set
 *   plain host only (1)     hosts set and none has a `*`
 *   header count (8)        number of header names, capped at 255
 *   regex (1)               the paths are regexes
 *   regex priority (32)     route.regex_priority, regex routes only
 *   max length (19)         length of the plain paths, plain routes only
 *
 * A route with several paths is first split into one sub-route per group of paths: all regex
 * paths together, and plain paths by length (`split_routes_and_services_by_path`), so each group
 * has its own priority. We compare the fields in that order instead of packing bits; it is the
 * same order. Deviation: a negative regex_priority simply sorts below 0 (in Kong's uint64 it
 * would wrap into the upper bits).
 *
 * Ties: Kong's ATC router tries equal priorities in descending UUID order of the (split) route,
 * which a user cannot foresee. We break them first as the traditional router's
 * HAS_WILDCARD_HOST_PORT sub-weight does, a route with a host naming a port before one without
 * (for plain hosts too, so `example.com:8000` is reachable on its port whatever its age; Kong's
 * spec expects `route.*:123` to beat `route.*` in every flavor), then as the traditional router
 * did, older `created_at` first, then by route id, then by the order of the path groups.
 */

import { splitHostPort } from './host.ts';
import type { RouteConfig } from './types.ts';

const MAX_HEADER_COUNT = 255;

export interface PathGroup {
  readonly regex: boolean;
  /** Plain paths are already normalised; regex paths keep their leading `~`. */
  readonly paths: readonly string[];
}

export interface Priority {
  readonly weight: number;
  readonly plainHostOnly: number;
  readonly headerCount: number;
  readonly regex: number;
  readonly regexPriority: number;
  readonly maxLength: number;
  /** Not in Kong's number: 1 when a host names a port, our first tie-break (see the file comment). */
  readonly hostPort: number;
}

export function isRegexPath(path: string): boolean {
  return path.charCodeAt(0) === 126; // "~"
}

function isSet(list: readonly unknown[] | null | undefined): boolean {
  return list !== null && list !== undefined && list.length > 0;
}

/** Groups paths as Kong splits routes: one group for all regexes, one per plain path length. */
export function groupPaths(paths: readonly string[]): PathGroup[] {
  const groups: { regex: boolean; paths: string[] }[] = [];
  const byKey = new Map<number, { regex: boolean; paths: string[] }>();
  for (const path of paths) {
    const regex = isRegexPath(path);
    const key = regex ? -1 : path.length;
    let group = byKey.get(key);
    if (group === undefined) {
      group = { regex, paths: [] };
      byKey.set(key, group);
      groups.push(group);
    }
    group.paths.push(path);
  }
  return groups;
}

/** The priority of a route, or of one of its path groups when it has paths. */
export function routePriority(route: RouteConfig, group: PathGroup | undefined): Priority {
  const hosts = route.hosts ?? [];
  const headerNames = route.headers ? Object.keys(route.headers).length : 0;
  let weight = 0;
  if (isSet(route.methods)) weight++;
  if (hosts.length > 0) weight++;
  if (headerNames > 0) weight++;
  if (isSet(route.snis)) weight++;
  if (group !== undefined) weight++;
  const regex = group?.regex === true;
  return {
    weight,
    plainHostOnly: hosts.length > 0 && hosts.every((h) => !h.includes('*')) ? 1 : 0,
    headerCount: Math.min(headerNames, MAX_HEADER_COUNT),
    regex: regex ? 1 : 0,
    regexPriority: regex ? (route.regex_priority ?? 0) : 0,
    maxLength: group !== undefined && !regex ? (group.paths[0]?.length ?? 0) & 0x7ffff : 0,
    hostPort: hosts.some((h) => splitHostPort(h).port !== -1) ? 1 : 0,
  };
}

/** Negative when `a` is tried before `b`. */
export function comparePriority(a: Priority, b: Priority): number {
  return (
    b.weight - a.weight ||
    b.plainHostOnly - a.plainHostOnly ||
    b.headerCount - a.headerCount ||
    b.regex - a.regex ||
    b.regexPriority - a.regexPriority ||
    b.maxLength - a.maxLength ||
    b.hostPort - a.hostPort
  );
}

/** Our deterministic tie-break (see the file comment). */
export function compareTies(a: RouteConfig, b: RouteConfig): number {
  const ca = a.created_at ?? 0;
  const cb = b.created_at ?? 0;
  if (ca !== cb) return ca - cb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
