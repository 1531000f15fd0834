export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
export { CacheFileError, readCacheFile, writeCacheFile } from './cache-file.ts';
export {
  type SyncClient,
  type SyncClientEvent,
  type SyncClientOptions,
  type SyncClientState,
  startSyncClient,
} from './client.ts';
