export { EMPTY_CERTIFICATE_INDEX, findCertificate, wildcardNames } from './certificates.ts';
export {
  type ChainExit,
  type ChainRequest,
  EMPTY_PLUGIN_CHAIN,
  type PluginChain,
  type PluginRun,
  type PluginVersion,
} from './plugin-chain.ts';
export type {
  CertificateIndex,
  DispatcherSource,
  ProxyServiceConfig,
  Runtime,
  RuntimeSource,
  ServiceDispatch,
  UpstreamTlsProfile,
} from './types.ts';
