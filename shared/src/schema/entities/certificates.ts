/**
 * Kong's certificates entity: a PEM certificate and its private key, optionally an
 * alternative pair of another key type (RSA + ECDSA). Keys are encrypted at rest.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import * as t from '../typedefs.ts';
import type { EntityDefinition } from '../types.ts';

function publicPem(key: string): string {
  return createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'pem' }).toString();
}

function certPublicPem(cert: string): string {
  return new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

function pairMatches(cert: unknown, key: unknown): boolean {
  try {
    return certPublicPem(String(cert)) === publicPem(String(key));
  } catch {
    return false;
  }
}

export const certificates = {
  name: 'certificates',
  endpoint: '/certificates',
  primary_key: ['id'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    // Kong: each may be a vault reference, resolved by the data plane.
    cert: t.certificate({ required: true, referenceable: true }),
    key: t.key({ required: true, referenceable: true, sensitive: 'encrypt' }),
    cert_alt: t.certificate({ referenceable: true }),
    key_alt: t.key({ referenceable: true, sensitive: 'encrypt' }),
    tags: t.tags(),
    // Kong's Admin API accepts the certificate's server names inline and creates the SNIs.
    snis: { type: 'array', elements: t.wildcardHost(), virtual: true },
  },
  entity_checks: [
    { mutually_required: ['cert_alt', 'key_alt'] },
    {
      custom_entity_check: {
        field_sources: ['cert', 'key'],
        fn: (e) => (pairMatches(e.cert, e.key) ? true : 'certificate does not match key'),
      },
    },
    {
      custom_entity_check: {
        field_sources: ['cert_alt', 'key_alt'],
        fn: (e) => {
          if (e.cert_alt == null || e.key_alt == null) return true;
          return pairMatches(e.cert_alt, e.key_alt) ? true : 'alternative certificate does not match key';
        },
      },
    },
    {
      custom_entity_check: {
        field_sources: ['cert', 'cert_alt'],
        fn: (e) => {
          if (e.cert_alt == null) return true;
          const type = (c: unknown) => new X509Certificate(String(c)).publicKey.asymmetricKeyType;
          return type(e.cert) !== type(e.cert_alt)
            ? true
            : 'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), ' +
                'the provided certificates were both of the same type';
        },
      },
    },
  ],
} as const satisfies EntityDefinition;
