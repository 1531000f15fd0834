import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificatePair } from '@turnpike/shared/cluster';

// A small certificate authority for `cluster_mtls = pki` tests: EC P-384, valid for one day.

const pem = (key: webcrypto.CryptoKey) =>
  KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
const ecP384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const sha384 = { name: 'ECDSA', hash: 'SHA-384' } as const;
const provider = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1];
const DAY_MS = 86_400_000;

export interface Authority extends CertificatePair {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly cert: x509.X509Certificate;
}

/** A self-signed CA certificate (`CN=<name>`) that can also serve as a shared cluster certificate. */
export async function makeAuthority(name: string): Promise<Authority> {
  const keys = await webcrypto.subtle.generateKey(ecP384, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=${name}`,
      keys,
      notAfter: new Date(Date.now() + DAY_MS),
      signingAlgorithm: sha384,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        // digitalSignature too, so that one can also serve as a shared cluster certificate.
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
      ],
    },
    provider,
  );
  return { keys, cert, certPem: cert.toString('pem'), keyPem: pem(keys.privateKey) };
}

/** A leaf certificate `CN=<commonName>` signed by `ca`, for server and client use, with DNS names. */
export async function issueCertificate(
  ca: Authority,
  commonName: string,
  dnsNames: readonly string[] = [],
): Promise<CertificatePair> {
  const keys = await webcrypto.subtle.generateKey(ecP384, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=${commonName}`,
      issuer: ca.cert.subject,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      notAfter: new Date(Date.now() + DAY_MS),
      signingAlgorithm: sha384,
      extensions: [
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        ...(dnsNames.length > 0
          ? [
              new x509.SubjectAlternativeNameExtension(
                dnsNames.map((value) => ({ type: 'dns' as const, value })),
              ),
            ]
          : []),
      ],
    },
    provider,
  );
  return { certPem: cert.toString('pem'), keyPem: pem(keys.privateKey) };
}
