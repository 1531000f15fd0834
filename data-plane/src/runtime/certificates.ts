/**
 * Certificates by server name, compiled once per config version: each Certificate entity becomes
 * one `tls.SecureContext` (its RSA and ECDSA pairs together, so OpenSSL picks by the client's
 * signature algorithms), and each SNI entity points at one. Lookup follows Kong's
 * `kong/runloop/certificate.lua`: the exact name, then `*.` + the name without its first label,
 * then the name with its last label as `*`, then an SNI named `*`; nothing found means the
 * listener's default certificate.
 */

import { createSecureContext, type SecureContext } from 'node:tls';
import type { RouterProblem } from '../router/index.ts';

/** A Certificate entity as Kong stores it; only the fields the proxy reads. */
export interface CertificateConfig {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
  readonly cert_alt?: string | null;
  readonly key_alt?: string | null;
}

/** An SNI entity: a server name (`*.example.com`, `example.*` or exact) and its certificate. */
export interface SniConfig {
  readonly id?: string;
  readonly name: string;
  readonly certificate: { readonly id: string };
}

/** Lowercase SNI name → the context of its certificate. */
export interface CertificateIndex {
  readonly byName: ReadonlyMap<string, SecureContext>;
}

export const EMPTY_CERTIFICATE_INDEX: CertificateIndex = Object.freeze({ byName: new Map() });

/** The catch-all SNI name Kong looks up last (`DEFAULT_SNI`). */
const DEFAULT_SNI = '*';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function contextOf(certificate: CertificateConfig): SecureContext {
  const hasAlt = typeof certificate.cert_alt === 'string' && typeof certificate.key_alt === 'string';
  return createSecureContext(
    hasAlt
      ? { cert: [certificate.cert, certificate.cert_alt!], key: [certificate.key, certificate.key_alt!] }
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

/** Kong's `produce_wild_snis`: `*.rest` when the name has 3+ labels; `head.*` when it has 2+. */
export function wildcardNames(name: string): { prefix: string | undefined; suffix: string | undefined } {
  const firstDot = name.indexOf('.');
  const lastDot = name.lastIndexOf('.');
  return {
    prefix: firstDot > 0 && lastDot > firstDot + 1 ? `*${name.slice(firstDot)}` : undefined,
    suffix: lastDot > 0 && lastDot < name.length - 1 ? `${name.slice(0, lastDot + 1)}*` : undefined,
  };
}

/** The context for a TLS server name, or undefined for the listener's default certificate. */
export function findCertificate(index: CertificateIndex, servername: string): SecureContext | undefined {
  const byName = index.byName;
  if (byName.size === 0 || servername === '') return undefined;
  const name = servername.toLowerCase();
  const exact = byName.get(name);
  if (exact !== undefined) return exact;
  const { prefix, suffix } = wildcardNames(name);
  return (
    (prefix === undefined ? undefined : byName.get(prefix)) ??
    (suffix === undefined ? undefined : byName.get(suffix)) ??
    byName.get(DEFAULT_SNI)
  );
}
