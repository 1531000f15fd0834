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
export {
  CLUSTER_MTLS_MODES,
  type ClusterChannelOptions,
  type ClusterMtlsMode,
  type ClusterTlsOptions,
  channelCredentials,
  channelOptions,
  serverCredentials,
  serverInterceptors,
} from './credentials.ts';
export { clusterTlsFromConfig } from './from-config.ts';
