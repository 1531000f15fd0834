export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
export { CacheFileError, readCacheFile, writeCacheFile } from './cache-file.ts';
export {
  type ControlPlaneLink,
  type SyncClient,
  type SyncClientEvent,
  type SyncClientOptions,
  type SyncClientState,
  startSyncClient,
} from './client.ts';
export type { InProcessConnect } from './in-process-dial.ts';
