import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { TurnpikeError } from '../errors.ts';
import {
  CLUSTER_COMMON_NAME,
  certificateDetails,
  certificateFingerprint,
  DEFAULT_CLUSTER_CERT_DAYS,
  generateClusterCertificate,
} from './certificate.ts';

describe('generateClusterCertificate', () => {
  it('makes a self-signed certificate for turnpike_clustering whose key is EC P-384', async () => {
    const { certPem, keyPem } = await generateClusterCertificate({ days: 30 });
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, `CN=${CLUSTER_COMMON_NAME}`);
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.checkIssued(cert), 'issued by itself');
    assert.ok(cert.verify(cert.publicKey), 'signed by its own key');
    assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    const key = createPrivateKey(keyPem);
    assert.ok(cert.checkPrivateKey(key), 'the key belongs to the certificate');
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it('is valid from now for exactly the given number of days', async () => {
    const now = new Date('2030-01-02T03:04:05.678Z');
    const cert = new X509Certificate((await generateClusterCertificate({ days: 10, now })).certPem);
    assert.equal(cert.validFromDate.toISOString(), '2030-01-02T03:04:05.000Z');
    assert.equal(cert.validToDate.toISOString(), '2030-01-12T03:04:05.000Z');
  });

  it('lasts 1095 days (3 years) by default, as kong hybrid gen_cert', async () => {
    const cert = new X509Certificate((await generateClusterCertificate()).certPem);
    const days = (cert.validToDate.getTime() - cert.validFromDate.getTime()) / 86_400_000;
    assert.equal(days, DEFAULT_CLUSTER_CERT_DAYS);
    assert.equal(DEFAULT_CLUSTER_CERT_DAYS, 1095);
  });

  it('makes a new key pair every time', async () => {
    const [a, b] = await Promise.all([generateClusterCertificate(), generateClusterCertificate()]);
    assert.notEqual(a.keyPem, b.keyPem);
    assert.notEqual(certificateFingerprint(a.certPem), certificateFingerprint(b.certPem));
  });

  it('refuses a validity that is not a positive whole number of days', async () => {
    for (const days of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(generateClusterCertificate({ days }), (error: unknown) => {
        assert.ok(error instanceof TurnpikeError);
        assert.equal(error.code, 'TP_CLI_USAGE');
        return true;
      });
    }
  });
});

describe('certificateDetails', () => {
  it('gives the expiry in seconds, the subject and the SHA-256 fingerprint of a PEM certificate', async () => {
    const now = new Date('2031-06-01T00:00:00Z');
    const { certPem } = await generateClusterCertificate({ days: 1, now });
    const details = certificateDetails(certPem);
    const cert = new X509Certificate(certPem);
    assert.deepEqual(details, {
      expiry_timestamp: Date.parse('2031-06-02T00:00:00Z') / 1000,
      subject: 'CN=turnpike_clustering',
      fingerprint_sha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    });
  });

  it('reads a DER certificate, as a TLS peer certificate is given, the same as its PEM', async () => {
    const { certPem } = await generateClusterCertificate({ days: 1 });
    const der = new X509Certificate(certPem).raw;
    assert.deepEqual(certificateDetails(der), certificateDetails(certPem));
    assert.equal(certificateFingerprint(der), certificateDetails(certPem).fingerprint_sha256);
  });
});
