export type { Router } from './compile.ts';
export { compileRouter, DEFAULT_CACHE_SIZE } from './compile.ts';
export { match } from './match.ts';
export { escapePath, normalizePath } from './normalize.ts';
export { patchRouter, type RouterChanges } from './patch.ts';
export type {
  CompileOptions,
  HeaderLookup,
  HeaderValue,
  Match,
  RequestKey,
  RouteConfig,
  RouterFlavor,
  RouterProblem,
  ServiceConfig,
  UriCaptures,
} from './types.ts';
export { upstreamPath } from './upstream-path.ts';
