export { ConfigApplier, type ConfigDeltaUpdate, type StaleDelta } from './applier.ts';
export { compileRuntime, SERVICE_DEFAULTS } from './compile.ts';
export {
  type DecodedConfig,
  decodeChanges,
  decodeContent,
  decodeEntity,
  EMPTY_SYNCED,
  type SyncedContent,
} from './decode.ts';
export { patchRuntime } from './patch.ts';
export { runtimeConfigOf } from './runtime-config.ts';
export type {
  CaCertificateConfig,
  CertificateConfig,
  CompileRuntimeOptions,
  EntityChange,
  RuntimeConfig,
  RuntimeUpdate,
  SniConfig,
} from './types.ts';
