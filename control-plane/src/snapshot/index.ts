export type { ChangeSet, ConfigSource, LatestVersion } from './config-source.ts';
export {
  type DatastoreConfigSource,
  type DatastoreConfigSourceOptions,
  startDatastoreConfigSource,
} from './datastore-source.ts';
export {
  type EncodedSnapshot,
  SnapshotEncodingCache,
  type SnapshotEncodingOptions,
} from './encoded-snapshot.ts';
export { MemoryConfigSource, type MemoryConfigSourceOptions } from './memory-config-source.ts';
