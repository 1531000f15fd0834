export { clusterSpawner, WORKER_ENTRY } from './cluster-spawn.ts';
export { workerCount } from './count.ts';
export { WorkerError } from './errors.ts';
export { inProcessSpawner } from './in-process-spawn.ts';
export {
  defaultRestartDelay,
  type SpawnWorker,
  type WorkerChannel,
  type WorkerEvents,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerState,
  type WorkerStatus,
} from './pool.ts';
export {
  isPrimaryMessage,
  isWorkerMessage,
  NO_CONFIG_VERSION,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerSettings,
} from './protocol.ts';
export { IpcNodeCounters, SharedCounterStore } from './shared-counters.ts';
export { sizedSpawner } from './sized-spawn.ts';
export { ProxyWorker, runWorker, type SendToPrimary } from './worker.ts';
