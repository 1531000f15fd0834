export { classifyUpstreamError, isRetryable, type UpstreamFailure } from './failure.ts';
export { DEFAULT_POOL_OPTIONS, type UpstreamPoolOptions, UpstreamPools } from './pools.ts';
export { intermediateCount, tlsConnectOptions } from './tls.ts';
