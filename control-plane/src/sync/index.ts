export { checkPlugins, checkVersion, type Incompatibility } from './compatibility.ts';
export { NO_METRICS, type RefusalReason, type SyncMetrics, syncMetrics } from './metrics.ts';
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
