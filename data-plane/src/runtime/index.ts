export type { PluginRuntimeOptions } from '../plugins/runtime/compile.ts';
export {
  type CertificateConfig,
  type CertificateIndex,
  compileCertificateIndex,
  EMPTY_CERTIFICATE_INDEX,
  findCertificate,
  type SniConfig,
  wildcardNames,
} from './certificates.ts';
export { type CompileRuntimeOptions, compileRuntime, SERVICE_DEFAULTS } from './compile.ts';
export { RuntimeHolder } from './holder.ts';
export { type EntityChange, patchRuntime, type RuntimeUpdate } from './patch.ts';
export {
  type ChainExit,
  type ChainRequest,
  EMPTY_PLUGIN_CHAIN,
  type PluginChain,
  type PluginRun,
} from './plugin-chain.ts';
export type {
  DispatcherSource,
  ProxyServiceConfig,
  Runtime,
  RuntimeConfig,
  ServiceDispatch,
} from './types.ts';
export {
  type CaCertificateConfig,
  compileUpstreamTls,
  DEFAULT_UPSTREAM_TLS,
  DEFAULT_VERIFY_DEPTH,
  UPSTREAM_TLS_PROTOCOLS,
  type UpstreamTlsEntities,
  type UpstreamTlsProfile,
  upstreamTlsEntities,
} from './upstream-tls.ts';
