export { canonicalJson } from './canonical-json.ts';
export { ConfigHash, hashConfig } from './config-hash.ts';
export {
  type ConfigChange,
  type ConfigContent,
  type ConfigDelta,
  configFromEntities,
  EMPTY_CONFIG,
  entityCount,
  entityId,
  plainConfig,
  type VersionedConfig,
} from './content.ts';
export { type AppliedDelta, applyDelta } from './delta.ts';
export { type EncodeOptions, encodeSnapshotPayload } from './encode.ts';
export { type PipeClose, type PipeEnd, type PipeHandlers, pipePair } from './in-process.ts';
export { LayeredMap } from './layered-map.ts';
export {
  COMPRESS_THRESHOLD,
  DEFAULT_MAX_PAYLOAD,
  type DecodeOptions,
  decodeSnapshotPayload,
  type EncodedPayload,
  PayloadEncoding,
} from './payload.ts';
export { SyncPayloadError } from './payload-error.ts';
export { changeFromWire, changeToWire } from './wire.ts';
