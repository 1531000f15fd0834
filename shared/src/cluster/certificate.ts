import { createHash, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { UsageError } from '../errors.ts';

/** The subject common name of a generated cluster certificate (Kong's is `kong_clustering`). */
export const CLUSTER_COMMON_NAME = 'turnpike_clustering';

/** Validity of a generated cluster certificate: 3 years, as `kong hybrid gen_cert`. */
export const DEFAULT_CLUSTER_CERT_DAYS = 1095;

export interface ClusterCertificateOptions {
  /** Days from now until the certificate expires; default 1095. */
  days?: number;
  /** Subject and issuer CN; default `turnpike_clustering`. */
  commonName?: string;
  /** Start of validity; default now. For tests and reproducible tooling. */
  now?: Date;
}

export interface CertificatePair {
  /** The X.509 certificate, PEM (`-----BEGIN CERTIFICATE-----`). */
  certPem: string;
  /** Its private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  keyPem: string;
}

/** What `/clustering/data-planes` shows of a data plane's certificate. */
export interface CertificateDetails {
  /** notAfter, in seconds since the Unix epoch (Kong's `cert_details.expiry_timestamp`). */
  expiry_timestamp: number;
  /** The subject distinguished name, e.g. `CN=turnpike_clustering`. */
  subject: string;
  /** SHA-256 of the DER certificate, lowercase hex without separators. */
  fingerprint_sha256: string;
}

const DAY_MS = 86_400_000;

/**
 * A self-signed cluster certificate with an EC P-384 key, as `kong hybrid gen_cert` makes:
 * both planes present it in `cluster_mtls = shared` mode and each pins the other to it.
 */
export async function generateClusterCertificate(
  options: ClusterCertificateOptions = {},
): Promise<CertificatePair> {
  const days = options.days ?? DEFAULT_CLUSTER_CERT_DAYS;
  if (!Number.isInteger(days) || days < 1) {
    throw new UsageError(`days must be a positive whole number of days, got ${String(days)}`);
  }
  const commonName = options.commonName ?? CLUSTER_COMMON_NAME;
  // Whole seconds: X.509 times carry no fractions, and expiry must equal notBefore + days exactly.
  const notBefore = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
    'sign',
    'verify',
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ CN: [commonName] }],
      keys,
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * DAY_MS),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    },
    // Passed per call rather than set on x509's global provider: no shared state between callers.
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem: `${cert.toString('pem').trim()}\n`, keyPem };
}

/** SHA-256 of a certificate's DER encoding, lowercase hex; accepts PEM text or DER bytes. */
export function certificateFingerprint(cert: string | Buffer): string {
  return createHash('sha256').update(new X509Certificate(cert).raw).digest('hex');
}

/** Expiry, subject and fingerprint of a certificate given as PEM text or DER bytes. */
export function certificateDetails(cert: string | Buffer): CertificateDetails {
  const parsed = new X509Certificate(cert);
  return {
    expiry_timestamp: Math.floor(parsed.validToDate.getTime() / 1000),
    subject: parsed.subject.split('\n').join(', '),
    fingerprint_sha256: createHash('sha256').update(parsed.raw).digest('hex'),
  };
}

/**
 * @peculiar/x509 needs a Reflect metadata polyfill (its tsyringe dependency checks for it when
 * loaded). Loading both on first use keeps importing this module free of global side effects.
 */
async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}
