/**
 * Finding the certificate for a TLS server name in a Runtime's index (compiled by
 * `../config/certificates.ts`). Lookup follows Kong's `kong/runloop/certificate.lua`: the exact
 * name, then `*.` + the name without its first label, then the name with its last label as `*`,
 * then an SNI named `*`; nothing found means the listener's default certificate.
 */

import type { SecureContext } from 'node:tls';
import type { CertificateIndex } from './types.ts';

export const EMPTY_CERTIFICATE_INDEX: CertificateIndex = Object.freeze({ byName: new Map() });

/** The catch-all SNI name Kong looks up last (`DEFAULT_SNI`). */
const DEFAULT_SNI = '*';

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
