import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type PeerCertificate, checkServerIdentity as tlsCheckServerIdentity } from 'node:tls';
import { type ChannelCredentials, type ChannelOptions, credentials } from '@grpc/grpc-js';
import { ClusterCertificateError, ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { CLUSTER_COMMON_NAME, certificateFingerprint } from './certificate.ts';
import { type CommonNameCheck, commonNameCheck, firstCommonName } from './common-name.ts';

/**
 * Kong's `cluster_mtls`: `shared` (both planes present one cluster certificate and pin each other
 * to it), `pki` (each plane has its own certificate, verified against `cluster_ca_cert`),
 * `pki_check_cn` (pki, and a control plane checks the data plane certificate's CN: Kong
 * Enterprise's mode, see common-name.ts) and `off` (plain text; development only, a Turnpike
 * addition).
 */
export type ClusterMtlsMode = 'shared' | 'pki' | 'pki_check_cn' | 'off';

export const CLUSTER_MTLS_MODES: readonly ClusterMtlsMode[] = ['shared', 'pki', 'pki_check_cn', 'off'];

/** Both pki modes verify certificates against cluster_ca_cert; they differ only in the CN check. */
export function isPkiMode(mode: ClusterMtlsMode): boolean {
  return mode === 'pki' || mode === 'pki_check_cn';
}

/** The cluster TLS settings, as PEM text read from the files the configuration names. */
export interface ClusterTlsOptions {
  /** `cluster_mtls`. */
  mode: ClusterMtlsMode;
  /** `cluster_cert`: this plane's certificate (in shared mode, the cluster certificate). */
  certPem?: string | undefined;
  /** `cluster_cert_key`: its private key. */
  keyPem?: string | undefined;
  /** `cluster_ca_cert`: the CA that signs both planes' certificates; required in pki mode. */
  caPem?: string | undefined;
  /**
   * `cluster_allowed_common_names`: in the pki modes, the only data plane CNs a control plane
   * admits; empty or unset, any in `pki` and those sharing the parent domain of its own
   * certificate's CN in `pki_check_cn` (see common-name.ts).
   */
  allowedCommonNames?: readonly string[] | undefined;
  /**
   * Where each setting came from (`TURNPIKE_CLUSTER_CERT`, `turnpike.conf:12`), for errors that
   * name key and source; default `configuration`.
   */
  sources?: Partial<Record<ClusterTlsKey, string>> | undefined;
}

/** The configuration keys these settings come from. */
export type ClusterTlsKey = 'cluster_mtls' | 'cluster_cert' | 'cluster_cert_key' | 'cluster_ca_cert';

/** The call metadata key a data plane names itself with, so that a refusal can be logged with it. */
export const NODE_ID_METADATA = 'turnpike-node-id';

export interface ClusterChannelOptions extends ClusterTlsOptions {
  /**
   * `cluster_server_name`: the name the control plane's certificate must carry in pki mode;
   * default the host of `cluster_control_plane`. Unused in shared mode, where the certificate
   * itself is pinned.
   */
  serverName?: string | undefined;
}

/** Validated settings: PEM bytes ready for TLS, the fingerprint shared mode pins, pki's CN rule. */
export interface ResolvedTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  fingerprint: string;
  commonNames: CommonNameCheck;
}

/**
 * Credentials for a data plane's connection to the control plane. In shared mode the control
 * plane must present exactly the cluster certificate (pinned by fingerprint; its name is not
 * checked). In pki mode its certificate must chain to `cluster_ca_cert` and carry `serverName`
 * (or, without one, the host dialled). Both modes present this plane's certificate.
 */
export function channelCredentials(options: ClusterChannelOptions): ChannelCredentials {
  const tls = resolveTls(options);
  if (tls === undefined) return credentials.createInsecure();
  if (options.mode === 'shared') {
    const expected = tls.fingerprint;
    return credentials.createSsl(tls.cert, tls.key, tls.cert, {
      checkServerIdentity: (_host: string, peer: PeerCertificate) =>
        certificateFingerprint(peer.raw) === expected
          ? undefined
          : new ClusterCertificateError(
              'control plane certificate is not the cluster certificate (cluster_mtls = shared)',
            ),
    });
  }
  const serverName = options.serverName;
  return credentials.createSsl(tls.ca ?? null, tls.key, tls.cert, {
    checkServerIdentity: (host: string, peer: PeerCertificate) =>
      tlsCheckServerIdentity(serverName === undefined || serverName === '' ? host : serverName, peer),
  });
}

/**
 * Channel options to pass to the data plane's client with {@link channelCredentials}: the TLS
 * server name (SNI) sent to the control plane, as Kong sends `kong_clustering` in shared mode and
 * `cluster_server_name` in pki mode, instead of the dialled host (never an IP address, which
 * RFC 6066 forbids as SNI).
 */
export function channelOptions(options: ClusterChannelOptions): ChannelOptions {
  if (options.mode === 'shared') return { 'grpc.ssl_target_name_override': CLUSTER_COMMON_NAME };
  if (isPkiMode(options.mode) && options.serverName !== undefined && options.serverName !== '') {
    return { 'grpc.ssl_target_name_override': options.serverName };
  }
  return {};
}

/**
 * Throws ConfigInvalidError, naming each key at fault and where it was set, when the settings
 * cannot make credentials (`turnpike check` runs it, as `start` would fail).
 */
export function checkClusterTls(options: ClusterTlsOptions): void {
  resolveTls(options);
}

/**
 * Checks the settings for the mode, naming the `turnpike.conf` key at fault as Kong's
 * conf_loader does. Undefined in off mode.
 */
export function resolveTls(options: ClusterTlsOptions): ResolvedTls | undefined {
  const problems: ConfigProblem[] = [];
  const problem = (key: ClusterTlsKey, message: string) =>
    problems.push({ key, source: options.sources?.[key] ?? 'configuration', message });
  if (!CLUSTER_MTLS_MODES.includes(options.mode)) {
    problem(
      'cluster_mtls',
      `expected one of: ${CLUSTER_MTLS_MODES.join(', ')}, got ${JSON.stringify(options.mode)}`,
    );
    throw new ConfigInvalidError(problems);
  }
  if (options.mode === 'off') return undefined;

  const required = `must be specified when cluster_mtls = "${options.mode}"`;
  const cert = parseCertificate(options.certPem, 'cluster_cert', required, problem);
  let key: KeyObject | undefined;
  if (options.keyPem === undefined || options.keyPem === '') problem('cluster_cert_key', required);
  else {
    try {
      key = createPrivateKey(options.keyPem);
    } catch {
      problem('cluster_cert_key', 'failed loading key: not a PEM private key');
    }
  }
  if (cert !== undefined && key !== undefined && !cert.checkPrivateKey(key)) {
    problem('cluster_cert_key', 'does not match cluster_cert');
  }
  // Shared mode trusts only the cluster certificate: a cluster_ca_cert there is ignored, as Kong does.
  const ca = isPkiMode(options.mode)
    ? parseCertificate(options.caPem, 'cluster_ca_cert', required, problem)
    : undefined;
  if (problems.length > 0 || cert === undefined) throw new ConfigInvalidError(problems);
  return {
    cert: Buffer.from(options.certPem ?? ''),
    key: Buffer.from(options.keyPem ?? ''),
    ca: ca === undefined ? undefined : Buffer.from(options.caPem ?? ''),
    fingerprint: certificateFingerprint(cert.raw),
    commonNames: commonNameCheck(
      options.allowedCommonNames ?? [],
      firstCommonName(cert.subject),
      options.mode === 'pki_check_cn',
    ),
  };
}

function parseCertificate(
  pem: string | undefined,
  key: ClusterTlsKey,
  required: string,
  problem: (key: ClusterTlsKey, message: string) => void,
): X509Certificate | undefined {
  if (pem === undefined || pem === '') {
    problem(key, required);
    return undefined;
  }
  try {
    return new X509Certificate(pem);
  } catch {
    problem(key, 'failed loading certificate: not a PEM X.509 certificate');
    return undefined;
  }
}
