/**
 * The route table the router figures use, in process (router.bench.ts) and through a real data
 * plane (the 10k-route proxy target): plain hosts with prefixes, host-less prefixes, wildcard
 * hosts and regex paths, mixed in a fixed proportion by index.
 */

export interface RouteShape {
  readonly hosts?: readonly string[];
  readonly paths: readonly string[];
}

/** Route i: 50% host + prefix, 25% prefix only, 15% wildcard host, 10% regex path. */
export function routeShape(i: number): RouteShape {
  const kind = i % 20;
  if (kind < 10) return { hosts: [`svc${i}.example.com`], paths: [`/api/v${i % 10}/r${i}`] };
  if (kind < 15) return { paths: [`/r${i}/items`] };
  if (kind < 18) return { hosts: [`*.w${i}.test`], paths: [`/w${i}`] };
  return { paths: [`~/re${i}/(?<id>\\d+)$`] };
}

/** A request aimed at route i: its Host (a neutral one for host-less routes) and path. */
export function requestShape(i: number, suffix = ''): { host: string; path: string } {
  const kind = i % 20;
  if (kind < 10) return { host: `svc${i}.example.com`, path: `/api/v${i % 10}/r${i}/x${suffix}` };
  if (kind < 15) return { host: 'gateway.test', path: `/r${i}/items/${suffix}` };
  if (kind < 18) return { host: `a.w${i}.test:8000`, path: `/w${i}/${suffix}` };
  return { host: 'gateway.test', path: `/re${i}/4${suffix.length}` };
}
