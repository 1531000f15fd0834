export {
  type CertificateDetails,
  type CertificatePair,
  CLUSTER_COMMON_NAME,
  type ClusterCertificateOptions,
  certificateDetails,
  certificateFingerprint,
  DEFAULT_CLUSTER_CERT_DAYS,
  generateClusterCertificate,
} from './certificate.ts';
export { type WriteClusterCertificateOptions, writeClusterCertificate } from './certificate-file.ts';
export { type CommonNameCheck, commonNameCheck, firstCommonName, parentDomain } from './common-name.ts';
export {
  CLUSTER_MTLS_MODES,
  type ClusterChannelOptions,
  type ClusterMtlsMode,
  type ClusterTlsKey,
  type ClusterTlsOptions,
  channelCredentials,
  channelOptions,
  checkClusterTls,
  NODE_ID_METADATA,
} from './credentials.ts';
export { clusterTlsFromConfig } from './from-config.ts';
export {
  type ClusterGate,
  type ClusterGateHooks,
  type ClusterListener,
  clusterGate,
  type PeerRefusal,
} from './gate.ts';
