/** Kong's ca_certificates entity: one CA certificate, identified by its SHA-256 digest. */
import { X509Certificate } from 'node:crypto';
import * as t from '../typedefs.ts';
import type { EntityCheckResult, EntityDefinition } from '../types.ts';

/** Hex SHA-256 of the DER certificate, as Kong's cert_digest. */
export function certDigest(cert: string): string {
  return new X509Certificate(cert).fingerprint256.replaceAll(':', '').toLowerCase();
}

function checkCa(entity: Record<string, unknown>, nowMs: number): EntityCheckResult {
  const pem = String(entity.cert);
  if ((pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length > 1) {
    return 'please submit only one certificate at a time';
  }
  const cert = new X509Certificate(pem);
  if (new Date(cert.validTo).getTime() < nowMs) return 'certificate expired, "Not After" time is in the past';
  if (!cert.ca)
    return 'certificate does not appear to be a CA because it is missing the "CA" basic constraint';
  return true;
}

export const caCertificates = {
  name: 'ca_certificates',
  endpoint: '/ca_certificates',
  primary_key: ['id'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    cert: t.certificate({ required: true }),
    cert_digest: { type: 'string', unique: true },
    tags: t.tags(),
  },
  entity_checks: [{ custom_entity_check: { field_sources: ['cert'], fn: (e) => checkCa(e, Date.now()) } }],
  transformations: [{ input: ['cert'], on_write: (e) => ({ cert_digest: certDigest(String(e.cert)) }) }],
} as const satisfies EntityDefinition;
