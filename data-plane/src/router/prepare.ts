/**
 * One route turned into what the index holds: its path-group sub-routes (priority.ts), each
 * with Kong's priority and a `build(rank)` that makes the CompiledRoute once its place in the
 * order is known. Shared by the full compile and the incremental patch, so both build the same.
 */

import type { CompiledHeader, CompiledPath, CompiledRoute } from './compile.ts';
import { compileHostPattern, compileSniPattern } from './host.ts';
import { normalizePath } from './normalize.ts';
import {
  comparePriority,
  compareTies,
  groupPaths,
  type PathGroup,
  type Priority,
  routePriority,
} from './priority.ts';
import type { RouteConfig, RouterFlavor, RouterProblem, ServiceConfig } from './types.ts';

const HTTP_PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs', 'ws', 'wss']);
const DEFAULT_PROTOCOLS = ['http', 'https'];
const TLS_PROTOCOLS = new Set(['https', 'grpcs', 'wss']);

function nonEmpty<T>(list: readonly T[] | null | undefined): readonly T[] | undefined {
  return list === null || list === undefined || list.length === 0 ? undefined : list;
}

/** Kong's regex path: `~` dropped, anchored with `^` (as compat.lua does), `(?P<n>` for JS. */
function compileRegexPath(path: string): RegExp {
  const source = `^${path.slice(1).replaceAll('(?P<', '(?<')}`;
  try {
    return new RegExp(source, 'u');
  } catch {
    // PCRE-style paths written for the traditional router often use escapes that unicode mode refuses.
    return new RegExp(source);
  }
}

function compileHeaders(headers: RouteConfig['headers']): CompiledHeader[] | undefined {
  if (headers === null || headers === undefined) return undefined;
  const compiled: CompiledHeader[] = [];
  for (const [name, values] of Object.entries(headers)) {
    const exact = new Set<string>();
    const patterns: RegExp[] = [];
    for (const value of values) {
      if (value.startsWith('~*')) patterns.push(new RegExp(value.slice(2), 'i'));
      else exact.add(value.toLowerCase());
    }
    compiled.push({ name: name.toLowerCase(), exact, patterns });
  }
  return compiled.length === 0 ? undefined : compiled;
}

function serviceHostHeader(service: ServiceConfig | undefined): string | undefined {
  if (service === undefined) return undefined;
  const defaultPort = TLS_PROTOCOLS.has(service.protocol) ? 443 : 80;
  return service.port === defaultPort ? service.host : `${service.host}:${service.port}`;
}

export interface Pending {
  readonly priority: Priority;
  readonly route: RouteConfig;
  /** The path group's position in the route: the last tie-break. */
  readonly group: number;
  readonly build: (rank: number) => CompiledRoute;
}

/** Kong's order (priority.ts) made total: priority, our tie-break, then the path group. */
export function compareEntries(
  a: { readonly priority: Priority; readonly route: RouteConfig; readonly group: number },
  b: { readonly priority: Priority; readonly route: RouteConfig; readonly group: number },
): number {
  return comparePriority(a.priority, b.priority) || compareTies(a.route, b.route) || a.group - b.group;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns one route into its path-group sub-routes, or reports why it cannot be used. A route of a
 * disabled service (`enabled: false`) gives none, silently: Kong leaves it out of the router.
 */
export function prepareRoute(
  route: RouteConfig,
  services: ReadonlyMap<string, ServiceConfig>,
  problems: RouterProblem[],
  flavor: RouterFlavor,
): Pending[] {
  const protocols = nonEmpty(route.protocols) ?? DEFAULT_PROTOCOLS;
  if (!protocols.some((p) => HTTP_PROTOCOLS.has(p))) return []; // a stream route: not ours
  let service: ServiceConfig | undefined;
  if (route.service !== null && route.service !== undefined) {
    service = services.get(route.service.id);
    if (service === undefined) {
      problems.push({ routeId: route.id, message: `service ${route.service.id} not found` });
      return [];
    }
    if (service.enabled === false) return [];
  }
  const methods = nonEmpty(route.methods);
  const hosts = nonEmpty(route.hosts);
  const snis = nonEmpty(route.snis);
  const paths = nonEmpty(route.paths);
  let headers: CompiledHeader[] | undefined;
  try {
    headers = compileHeaders(route.headers);
  } catch (error) {
    problems.push({ routeId: route.id, message: `invalid header regex: ${describe(error)}` });
    return [];
  }
  if (!methods && !hosts && !snis && !paths && !headers) {
    problems.push({ routeId: route.id, message: 'route has none of methods, hosts, headers, paths, snis' });
    return [];
  }
  const shared = {
    route,
    service,
    methods: methods ? new Set(methods.map((m) => m.toUpperCase())) : undefined,
    hosts: hosts?.map(compileHostPattern),
    snis: snis?.map(compileSniPattern),
    headers,
    stripPath: route.strip_path ?? true,
    pathHandling: flavor === 'traditional' ? (route.path_handling ?? 'v0') : 'v0',
    preserveHost: route.preserve_host ?? false,
    servicePath: service?.path ?? '/',
    serviceHost: serviceHostHeader(service),
    httpsRedirectStatus:
      protocols.includes('https') && !protocols.includes('http')
        ? (route.https_redirect_status_code ?? 426)
        : undefined,
    grpc: protocols.includes('grpc') ? 'grpc' : protocols.includes('grpcs') ? 'grpcs' : 'none',
  } as const;
  if (paths === undefined) {
    return [
      {
        priority: routePriority(route, undefined),
        route,
        group: 0,
        build: (rank) => ({
          ...shared,
          priority: routePriority(route, undefined),
          group: 0,
          rank,
          paths: undefined,
        }),
      },
    ];
  }
  // Plain paths are normalised like requests are, so `/a//b` or `/caf%C3%A9` can match at all.
  const normalised = paths.map((p) => (p.startsWith('~') ? p : normalizePath(p)));
  const pending: Pending[] = [];
  for (const group of groupPaths(normalised)) {
    const index = pending.length;
    let compiled: CompiledPath[];
    try {
      compiled = compilePathGroup(group);
    } catch (error) {
      problems.push({ routeId: route.id, message: `invalid regex path: ${describe(error)}` });
      continue;
    }
    const priority = routePriority(route, group);
    pending.push({
      priority,
      route,
      group: index,
      build: (rank) => ({ ...shared, priority, group: index, rank, paths: compiled }),
    });
  }
  return pending;
}

const REGEX_SYNTAX = new Set('\\.[](){}*+?|^$');
const QUANTIFIERS = new Set('?*{');

/**
 * The literal text every match of a regex path must start with ("" when unknown), so regex
 * routes can sit in the prefix index instead of being tried on every request. Conservative: a
 * regex with any `|` gets "" (Kong's `^` only anchors the first alternative).
 */
export function regexLiteralPrefix(path: string): string {
  const source = path.slice(1);
  if (source.includes('|')) return '';
  let end = 0;
  while (end < source.length && !REGEX_SYNTAX.has(source[end]!)) end++;
  // A quantifier makes the character before it optional or repeated.
  if (end < source.length && QUANTIFIERS.has(source[end]!)) end--;
  return end > 0 ? source.slice(0, end) : '';
}

function compilePathGroup(group: PathGroup): CompiledPath[] {
  return group.paths.map((value) => ({ regex: group.regex ? compileRegexPath(value) : undefined, value }));
}
