export { checkPlugins, checkVersion, type Incompatibility } from './compatibility.ts';
export { type PeerLink, type SyncHub, type SyncHubOptions, startSyncHub } from './hub.ts';
export { type DataPlaneEnd, inProcessConnector } from './in-process.ts';
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
