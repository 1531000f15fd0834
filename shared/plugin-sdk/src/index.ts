/**
 * The plugin SDK: everything a plugin author imports — bundled plugins included, which take the
 * same road as custom ones. Import from `@turnpike/plugin-sdk`.
 */

export { verifyPassword } from '../../src/crypto/password.ts';
export {
  configRecord,
  definePluginSchema,
  noConsumer,
  noRoute,
  noService,
  type PluginConfigOf,
  type PluginSchema,
  typedefs,
} from '../../src/schema/index.ts';
export { authenticateConsumer, CONSUMER_HEADERS, failAuthentication, findConsumer } from './auth.ts';
export { bodyWithout, parseBodyFields } from './body.ts';
export type {
  EntityLookup,
  PluginConnection,
  PluginConsumer,
  PluginContext,
  PluginCredential,
  PluginRequest,
  PluginResponse,
  PluginRoute,
  PluginService,
  UriCaptures,
} from './context.ts';
export {
  type BodyPhaseFunction,
  type ConfigureFunction,
  definePluginHandler,
  type PhaseFunction,
  type PluginConfig,
  type PluginHandler,
  type PluginHandlerModule,
  type PluginInstanceScope,
  type SyncPhaseFunction,
} from './handler.ts';
export type { LogFn, Logger } from './log.ts';
export { countLogDrops, logDrops } from './log-drops.ts';
export { installMemCacheBytes, memCacheBytes } from './mem-cache.ts';
export {
  type CounterTake,
  type CounterWindows,
  installNodeCounters,
  LocalNodeCounters,
  type LocalNodeCountersOptions,
  type NodeCounters,
  nodeCounters,
} from './node-counters.ts';
export {
  installNodeDatastore,
  type NodeDatastore,
  NodeDatastoreError,
  nodeDatastore,
} from './node-datastore.ts';
export {
  type LegacyQueueFields,
  LogQueue,
  LogQueues,
  pluginQueueParams,
  type QueueConfig,
  type SendBatch,
} from './queue.ts';
export { randomHex } from './random-hex.ts';
export {
  ORDERED_PERIODS,
  PERIOD_SECONDS,
  type Period,
  periodsOrderError,
  resetSeconds,
  windowEnd,
  windowStart,
} from './ratelimit-windows.ts';
export type { SerializedCommon, SerializedRecord, SerializedTls, SerializedTry } from './serialize.ts';
export type { SerializedStreamRecord, StreamLogContext, StreamLogFunction } from './stream.ts';
export { udpSocketFor } from './udp.ts';
export { SDK_VERSION, sdkMajor } from './version.ts';
