export { checkPlugins, checkVersion, type Incompatibility } from './compatibility.ts';
export type { ChangeSet, ConfigSource, LatestVersion } from './config-source.ts';
export { MemoryConfigSource, type MemoryConfigSourceOptions } from './memory-config-source.ts';
export { NO_METRICS, type SyncMetrics, syncMetrics } from './metrics.ts';
export {
  type DataPlaneChange,
  type DataPlaneListItem,
  type DataPlaneRecord,
  type DataPlaneRegistry,
  MemoryDataPlaneRegistry,
  parseLabels,
  type SyncStatus,
} from './registry.ts';
export { peerIp, type SyncServer, type SyncServerOptions, startSyncServer } from './server.ts';
