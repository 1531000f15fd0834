/**
 * How the service path, the matched route path and the request path combine into the upstream
 * path: Kong's kong/router/utils.lua (`sanitize_uri_postfix`, `get_upstream_uri_v0`) and the
 * `path_handling == "v1"` branch of kong/router/traditional.lua. All inputs are normalised paths;
 * the result is escaped by the caller.
 *
 * v1 is applied only with router_flavor = traditional: as Kong 3's atc.lua does (it calls
 * get_upstream_uri_v0 only, and the routes schema warns that v1 "will not work under
 * 'expressions' or 'traditional_compatible' router_flavor"), the compiler gives every route v0
 * with traditional_compatible.
 */

/** Drops a leading `.`/`..` segment left after stripping the prefix. */
export function sanitizeUriPostfix(postfix: string): string {
  if (postfix === '') return postfix;
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(2);
  if (postfix.startsWith('../')) return postfix.slice(3);
  return postfix;
}

/** Kong 0.x/2.x+ behaviour (default): joins service path and the rest with exactly one slash. */
export function upstreamPathV0(
  stripPath: boolean,
  postfix: string,
  requestPath: string,
  base: string,
): string {
  if (base.endsWith('/')) {
    if (!stripPath) return base + requestPath.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return requestPath.endsWith('/') ? base : base.slice(0, -1);
    }
    return postfix.startsWith('/') ? base.slice(0, -1) + postfix : base + postfix;
  }
  if (!stripPath) return requestPath === '/' ? base : base + requestPath;
  if (postfix === '') return requestPath.length > 1 && requestPath.endsWith('/') ? `${base}/` : base;
  return postfix.startsWith('/') ? base + postfix : `${base}/${postfix}`;
}

/** Kong 1.x behaviour: the service path is a plain prefix. */
export function upstreamPathV1(
  stripPath: boolean,
  postfix: string,
  requestPath: string,
  base: string,
): string {
  if (!stripPath) return base + requestPath.slice(1);
  return base.endsWith('/') && postfix.startsWith('/') ? base.slice(0, -1) + postfix : base + postfix;
}

/**
 * The unescaped upstream path. `prefix` is what matched the route's path (the route path itself,
 * or the regex match); undefined when the route has no paths.
 */
export function upstreamPath(
  pathHandling: 'v0' | 'v1',
  stripPath: boolean,
  prefix: string | undefined,
  requestPath: string,
  servicePath: string,
): string {
  const postfix = sanitizeUriPostfix(
    requestPath.slice(stripPath && prefix !== undefined ? prefix.length : 1),
  );
  return pathHandling === 'v1'
    ? upstreamPathV1(stripPath, postfix, requestPath, servicePath)
    : upstreamPathV0(stripPath, postfix, requestPath, servicePath);
}
