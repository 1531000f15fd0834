/**
 * Certificates by server name, compiled once per config version: each Certificate entity becomes
 * one `tls.SecureContext` (its RSA and ECDSA pairs together, so OpenSSL picks by the client's
 * signature algorithms), and each SNI entity points at one. The listeners look names up with
 * `findCertificate` (`../runtime/certificates.ts`).
 */

import { createSecureContext, type SecureContext } from 'node:tls';
import type { RouterProblem } from '../router/index.ts';
import { type CertificateIndex, EMPTY_CERTIFICATE_INDEX } from '../runtime/index.ts';
import type { CertificateConfig, SniConfig } from './types.ts';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function contextOf(certificate: CertificateConfig): SecureContext {
  const { cert_alt: certAlt, key_alt: keyAlt } = certificate;
  return createSecureContext(
    typeof certAlt === 'string' && certAlt !== '' && typeof keyAlt === 'string' && keyAlt !== ''
      ? { cert: [certificate.cert, certAlt], key: [certificate.key, keyAlt] }
      : { cert: certificate.cert, key: certificate.key },
  );
}

/** Builds the index; certificates that do not parse are reported and their SNIs left out. */
export function compileCertificateIndex(
  certificates: readonly CertificateConfig[] | undefined,
  snis: readonly SniConfig[] | undefined,
  problems: RouterProblem[],
): CertificateIndex {
  if (snis === undefined || snis.length === 0) return EMPTY_CERTIFICATE_INDEX;
  const contexts = new Map<string, SecureContext>();
  for (const certificate of certificates ?? []) {
    // A vault reference that did not resolve leaves "" (reported when it was resolved).
    if (certificate.cert === '' || certificate.key === '') {
      problems.push({ routeId: '', message: `certificate ${certificate.id}: no certificate or key` });
      continue;
    }
    try {
      contexts.set(certificate.id, contextOf(certificate));
    } catch (error) {
      problems.push({ routeId: '', message: `certificate ${certificate.id}: ${describe(error)}` });
    }
  }
  const byName = new Map<string, SecureContext>();
  for (const sni of snis) {
    const context = contexts.get(sni.certificate.id);
    if (context === undefined) {
      problems.push({
        routeId: '',
        message: `sni ${sni.name}: certificate ${sni.certificate.id} not usable`,
      });
      continue;
    }
    byName.set(sni.name.toLowerCase(), context);
  }
  return Object.freeze({ byName });
}
