/**
 * A compiled upstream TLS profile as the options of `tls.connect` (through undici's connector):
 * the trusted CAs, the client certificate, whether to reject, and the chain depth, which Node
 * does not expose, checked after OpenSSL's own verification.
 */

import {
  type ConnectionOptions,
  checkServerIdentity,
  type DetailedPeerCertificate,
  type PeerCertificate,
} from 'node:tls';
import { ChainTooLongError } from '@turnpike/shared';
import type { UpstreamTlsProfile } from '../runtime/index.ts';

/**
 * Intermediate CAs between the peer's certificate and its trust anchor in Node's detailed peer
 * certificate (each `issuerCertificate` in turn; a self-signed anchor points at itself).
 */
export function intermediateCount(cert: PeerCertificate): number {
  const seen = new Set<string>([cert.fingerprint256]);
  let count = 0;
  let issuer = (cert as Partial<DetailedPeerCertificate>).issuerCertificate;
  while (issuer !== undefined && issuer !== null && !seen.has(issuer.fingerprint256)) {
    seen.add(issuer.fingerprint256);
    const next: DetailedPeerCertificate | undefined = issuer.issuerCertificate;
    // The last certificate is the anchor (self-signed, or the end of what the peer and store gave).
    if (next === undefined || next === null || next.fingerprint256 === issuer.fingerprint256) break;
    count++;
    issuer = next;
  }
  return count;
}

/** Node's host name check, then OpenSSL's depth rule: at most `depth` intermediate CAs. */
function depthChecker(depth: number): NonNullable<ConnectionOptions['checkServerIdentity']> {
  return (hostname, cert) => {
    const mismatch = checkServerIdentity(hostname, cert);
    if (mismatch !== undefined) return mismatch;
    const intermediates = intermediateCount(cert);
    return intermediates > depth ? new ChainTooLongError(intermediates, depth) : undefined;
  };
}

/** The `connect` options of a pool whose connections use this profile. */
export function tlsConnectOptions(profile: UpstreamTlsProfile): ConnectionOptions {
  return {
    rejectUnauthorized: profile.verify,
    ...(profile.ca === undefined ? {} : { ca: [...profile.ca] }),
    ...(profile.cert === undefined || profile.key === undefined
      ? {}
      : { cert: profile.cert, key: profile.key }),
    ...(profile.verify ? { checkServerIdentity: depthChecker(profile.depth) } : {}),
  };
}
