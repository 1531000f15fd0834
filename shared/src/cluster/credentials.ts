import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type PeerCertificate, checkServerIdentity as tlsCheckServerIdentity } from 'node:tls';
import {
  type ChannelCredentials,
  type ChannelOptions,
  credentials,
  Metadata,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptor,
  status,
} from '@grpc/grpc-js';
import { ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { CLUSTER_COMMON_NAME, certificateFingerprint } from './certificate.ts';

/**
 * Kong's `cluster_mtls`: `shared` (both planes present one cluster certificate and pin each other
 * to it), `pki` (each plane has its own certificate, verified against `cluster_ca_cert`), and
 * `off` (plain text; development only, a Turnpike addition).
 */
export type ClusterMtlsMode = 'shared' | 'pki' | 'off';

export const CLUSTER_MTLS_MODES: readonly ClusterMtlsMode[] = ['shared', 'pki', 'off'];

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
}

export interface ClusterChannelOptions extends ClusterTlsOptions {
  /**
   * `cluster_server_name`: the name the control plane's certificate must carry in pki mode;
   * default the host of `cluster_control_plane`. Unused in shared mode, where the certificate
   * itself is pinned.
   */
  serverName?: string | undefined;
}

/** Validated settings: PEM bytes ready for grpc-js, and the fingerprint shared mode pins. */
interface ResolvedTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  fingerprint: string;
}

/**
 * Credentials for the control plane's cluster listener. In shared and pki modes the data plane
 * must present a client certificate that chains to the cluster certificate (shared) or to
 * `cluster_ca_cert` (pki), else the TLS handshake fails; pair with {@link serverInterceptors}.
 */
export function serverCredentials(options: ClusterTlsOptions): ServerCredentials {
  const tls = resolveTls(options);
  if (tls === undefined) return ServerCredentials.createInsecure();
  // In shared mode the self-signed cluster certificate is its own, and only, trust anchor.
  const trusted = options.mode === 'pki' ? tls.ca : tls.cert;
  return ServerCredentials.createSsl(trusted ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/**
 * Server interceptors that complete {@link serverCredentials}. In shared mode, when the cluster
 * certificate is a CA (as `openssl req -x509` makes them), TLS alone accepts any certificate it
 * signed; the interceptor refuses every call (UNAUTHENTICATED) whose peer certificate is not
 * byte-for-byte the cluster certificate, as Kong compares digests. grpc-js offers no per-connection hook, so the pin runs per call, on its
 * metadata, before any message reaches the handler. Empty in pki and off modes.
 */
export function serverInterceptors(options: ClusterTlsOptions): ServerInterceptor[] {
  const tls = resolveTls(options);
  if (tls === undefined || options.mode !== 'shared') return [];
  const expected = tls.fingerprint;
  const pin: ServerInterceptor = (_method, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, forward) {
            const peer = call.getAuthContext().sslPeerCertificate;
            if (peer?.raw !== undefined && certificateFingerprint(peer.raw) === expected) {
              forward(metadata);
              return;
            }
            call.sendStatus({
              code: status.UNAUTHENTICATED,
              details: 'data plane certificate is not the cluster certificate (cluster_mtls = shared)',
              metadata: new Metadata(),
            });
          },
        });
      },
    });
  return [pin];
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
          : new Error('control plane certificate is not the cluster certificate (cluster_mtls = shared)'),
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
  if (options.mode === 'pki' && options.serverName !== undefined && options.serverName !== '') {
    return { 'grpc.ssl_target_name_override': options.serverName };
  }
  return {};
}

/**
 * Checks the settings for the mode, naming the `turnpike.conf` key at fault as Kong's
 * conf_loader does. Undefined in off mode.
 */
function resolveTls(options: ClusterTlsOptions): ResolvedTls | undefined {
  const problems: ConfigProblem[] = [];
  const problem = (key: string, message: string) => problems.push({ key, source: 'configuration', message });
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
  const ca =
    options.mode === 'pki'
      ? parseCertificate(options.caPem, 'cluster_ca_cert', required, problem)
      : undefined;
  if (problems.length > 0 || cert === undefined) throw new ConfigInvalidError(problems);
  return {
    cert: Buffer.from(options.certPem ?? ''),
    key: Buffer.from(options.keyPem ?? ''),
    ca: ca === undefined ? undefined : Buffer.from(options.caPem ?? ''),
    fingerprint: certificateFingerprint(cert.raw),
  };
}

function parseCertificate(
  pem: string | undefined,
  key: string,
  required: string,
  problem: (key: string, message: string) => void,
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
