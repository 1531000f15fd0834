import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerCertificate } from 'node:tls';
import { intermediateCount, tlsConnectOptions } from './tls.ts';

/** A detailed peer certificate chain: names from the leaf up; the last one is self-signed. */
function chain(...names: string[]): PeerCertificate {
  const certs = names.map(
    (name) => ({ fingerprint256: name }) as PeerCertificate & { issuerCertificate?: unknown },
  );
  certs.forEach((cert, i) => {
    cert.issuerCertificate = certs[i + 1] ?? cert;
  });
  return certs[0]!;
}

describe('upstream TLS connect options', () => {
  it('count the intermediate CAs between the certificate and its self-signed anchor', () => {
    assert.equal(intermediateCount(chain('leaf', 'root')), 0);
    assert.equal(intermediateCount(chain('leaf', 'inter', 'root')), 1);
    assert.equal(intermediateCount(chain('leaf', 'i1', 'i2', 'root')), 2);
    assert.equal(intermediateCount(chain('self-signed')), 0);
  });

  it('check the host name and chain depth only when verifying', () => {
    const base = { ca: undefined, cert: undefined, key: undefined, depth: 1, digest: 'x' };
    assert.equal(tlsConnectOptions({ ...base, verify: false }).checkServerIdentity, undefined);
    assert.equal(tlsConnectOptions({ ...base, verify: false }).rejectUnauthorized, false);
    const verifying = tlsConnectOptions({ ...base, verify: true, ca: ['PEM'] });
    assert.equal(verifying.rejectUnauthorized, true);
    assert.deepEqual(verifying.ca, ['PEM']);
    assert.equal(typeof verifying.checkServerIdentity, 'function');
  });
});
