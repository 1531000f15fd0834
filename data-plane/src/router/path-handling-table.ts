/**
 * Kong 3.10's path handling table (spec/fixtures/router_path_handling_tests.lua), row for row:
 * how the service path, the route path, strip_path and path_handling make the upstream path of a
 * request, as Kong's traditional router computes it. Test data for upstream-path.test.ts (not a
 * test file itself); `expandRow` turns a row's alternatives into one case each, as Kong's
 * `line:expand()` does.
 */

type OneOrBoth<T> = T | readonly [T, T];

/** service path, route path (null: the route matches on its host), strip_path, path_handling, request path, expected. */
export type PathHandlingRow = readonly [
  string,
  string | null,
  OneOrBoth<boolean>,
  OneOrBoth<'v0' | 'v1'>,
  string,
  string,
];

export interface PathHandlingCase {
  readonly servicePath: string;
  readonly routePath: string | null;
  readonly stripPath: boolean;
  readonly pathHandling: 'v0' | 'v1';
  readonly requestPath: string;
  readonly expectedPath: string;
}

function alternatives<T>(value: OneOrBoth<T>): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** One case per strip_path × path_handling alternative, strip_path first (Kong's expand order). */
export function expandRow(row: PathHandlingRow): PathHandlingCase[] {
  const [servicePath, routePath, strip, handling, requestPath, expectedPath] = row;
  const cases: PathHandlingCase[] = [];
  for (const stripPath of alternatives(strip)) {
    for (const pathHandling of alternatives(handling)) {
      cases.push({ servicePath, routePath, stripPath, pathHandling, requestPath, expectedPath });
    }
  }
  return cases;
}

export const PATH_HANDLING_TABLE: readonly PathHandlingRow[] = [
  ['/', '/', [false, true], ['v0', 'v1'], '/', '/'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route', '/route'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/', [false, true], ['v0', 'v1'], '/routereq', '/routereq'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route/req', '/route/req'],
  ['/', '/route', false, ['v0', 'v1'], '/route', '/route'],
  ['/', '/route', false, ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/route', false, ['v0', 'v1'], '/routereq', '/routereq'],
  ['/', '/route', true, ['v0', 'v1'], '/route', '/'],
  ['/', '/route', true, ['v0', 'v1'], '/route/', '/'],
  ['/', '/route', true, ['v0', 'v1'], '/routereq', '/req'],
  ['/', '/route/', false, ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/route/', false, ['v0', 'v1'], '/route/req', '/route/req'],
  ['/', '/route/', true, ['v0', 'v1'], '/route/', '/'],
  ['/', '/route/', true, ['v0', 'v1'], '/route/req', '/req'],
  ['/srv', '/rou', false, 'v0', '/roureq', '/srv/roureq'],
  ['/srv', '/rou', false, 'v1', '/roureq', '/srvroureq'],
  ['/srv', '/rou', true, 'v0', '/roureq', '/srv/req'],
  ['/srv', '/rou', true, 'v1', '/roureq', '/srvreq'],
  ['/srv/', '/rou', false, ['v0', 'v1'], '/rou', '/srv/rou'],
  ['/srv/', '/rou', true, 'v0', '/rou', '/srv'],
  ['/srv/', '/rou', true, 'v1', '/rou', '/srv/'],
  ['/service', '/', [false, true], ['v0', 'v1'], '/', '/service'],
  ['/service', '/', [false, true], 'v0', '/route', '/service/route'],
  ['/service', '/', [false, true], 'v1', '/route', '/serviceroute'],
  ['/service', '/', [false, true], 'v0', '/route/', '/service/route/'],
  ['/service', '/', [false, true], 'v1', '/route/', '/serviceroute/'],
  ['/service', '/', [false, true], 'v0', '/routereq', '/service/routereq'],
  ['/service', '/', [false, true], 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/', [false, true], 'v0', '/route/req', '/service/route/req'],
  ['/service', '/', [false, true], 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route', false, 'v0', '/route', '/service/route'],
  ['/service', '/route', false, 'v1', '/route', '/serviceroute'],
  ['/service', '/route', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route', false, 'v0', '/routereq', '/service/routereq'],
  ['/service', '/route', false, 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/route', true, ['v0', 'v1'], '/route', '/service'],
  ['/service', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service', '/route', true, 'v0', '/routereq', '/service/req'],
  ['/service', '/route', true, 'v1', '/routereq', '/servicereq'],
  ['/service', '/route/', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route/', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route/', false, 'v0', '/route/req', '/service/route/req'],
  ['/service', '/route/', false, 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route/', true, 'v0', '/route/', '/service/'],
  ['/service', '/route/', true, 'v1', '/route/', '/service'],
  ['/service', '/route/', true, 'v0', '/route/req', '/service/req'],
  ['/service', '/route/', true, 'v1', '/route/req', '/servicereq'],
  ['/service/', '/', [false, true], 'v0', '/route/', '/service/route/'],
  ['/service/', '/', [false, true], 'v1', '/route/', '/service/route/'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/', '/service/'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/routereq', '/service/routereq'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/route/req', '/service/route/req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service/', '/route', false, ['v0', 'v1'], '/routereq', '/service/routereq'],
  ['/service/', '/route', true, 'v0', '/route', '/service'],
  ['/service/', '/route', true, 'v1', '/route', '/service/'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service/', '/route', true, ['v0', 'v1'], '/routereq', '/service/req'],
  ['/service/', '/route/', false, ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service/', '/route/', false, ['v0', 'v1'], '/route/req', '/service/route/req'],
  ['/service/', '/route/', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service/', '/route/', true, ['v0', 'v1'], '/route/req', '/service/req'],
  ['/', null, [false, true], ['v0', 'v1'], '/', '/'],
  ['/', null, [false, true], ['v0', 'v1'], '/route', '/route'],
  ['/', null, [false, true], ['v0', 'v1'], '/route/', '/route/'],
  ['/service', null, [false, true], ['v0', 'v1'], '/', '/service'],
  ['/service', null, [false, true], 'v0', '/route', '/service/route'],
  ['/service', null, [false, true], 'v1', '/route', '/serviceroute'],
  ['/service', null, [false, true], 'v0', '/route/', '/service/route/'],
  ['/service', null, [false, true], 'v1', '/route/', '/serviceroute/'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/', '/service/'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service', '/route', true, 'v0', '/route./req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route./req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route./req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2E/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2e/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2e/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2e/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route../req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route../req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route../req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2E%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2E%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2E%2E/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2e%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2e%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2e%2E/req', '/service/req'],
  ['/service', '/route', false, 'v0', '/route./req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route./req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route./req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route%2E/req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route%2E/req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2E/req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route%2e/req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route%2e/req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2e/req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route../req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route../req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route../req', '/service/route../req'],
  ['/service', '/route', false, 'v0', '/route%2E%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route%2E%2E/req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2E%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v0', '/route%2e%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route%2e%2E/req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2e%2E/req', '/service/route../req'],
];
