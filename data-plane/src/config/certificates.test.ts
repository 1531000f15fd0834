import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateClusterCertificate } from '@turnpike/shared/cluster';
import type { RouterProblem } from '../router/index.ts';
import { findCertificate, wildcardNames } from '../runtime/index.ts';
import { compileCertificateIndex } from './certificates.ts';

describe('wildcardNames', () => {
  it("produces Kong's prefix and suffix wildcards of a server name", () => {
    assert.deepEqual(wildcardNames('www.domain.test'), { prefix: '*.domain.test', suffix: 'www.domain.*' });
    assert.deepEqual(wildcardNames('a.b.c.d'), { prefix: '*.b.c.d', suffix: 'a.b.c.*' });
  });

  it('produces no prefix wildcard for a two-label name, and none at all for one label', () => {
    assert.deepEqual(wildcardNames('domain.test'), { prefix: undefined, suffix: 'domain.*' });
    assert.deepEqual(wildcardNames('localhost'), { prefix: undefined, suffix: undefined });
  });
});

describe('findCertificate', async () => {
  const pair = await generateClusterCertificate({ commonName: 'x', days: 1 });
  const certs = ['exact', 'prefix', 'suffix', 'all'].map((id) => ({
    id,
    cert: pair.certPem,
    key: pair.keyPem,
  }));
  const index = compileCertificateIndex(
    certs,
    [
      { name: 'api.example.test', certificate: { id: 'exact' } },
      { name: '*.example.test', certificate: { id: 'prefix' } },
      { name: 'api.example.*', certificate: { id: 'suffix' } },
      { name: 'www.other.*', certificate: { id: 'suffix' } },
      { name: '*', certificate: { id: 'all' } },
    ],
    [],
  );
  const ctx = (name: string) => index.byName.get(name);

  it('prefers the exact name, then the leading wildcard, then the trailing one, then *', () => {
    assert.equal(findCertificate(index, 'api.example.test'), ctx('api.example.test'));
    assert.equal(findCertificate(index, 'www.example.test'), ctx('*.example.test'));
    assert.equal(findCertificate(index, 'www.other.test'), ctx('www.other.*'));
    assert.equal(findCertificate(index, 'nothing.test'), ctx('*'));
  });

  it('compares names case-insensitively and shares one context per certificate', () => {
    assert.equal(findCertificate(index, 'API.EXAMPLE.TEST'), ctx('api.example.test'));
    assert.equal(ctx('api.example.*'), ctx('www.other.*'));
  });

  it('finds nothing without SNI entities, so the listener default serves', () => {
    assert.equal(findCertificate(compileCertificateIndex(certs, [], []), 'api.example.test'), undefined);
  });

  it('reports certificates that do not parse and SNIs pointing at them', () => {
    const problems: RouterProblem[] = [];
    const broken = compileCertificateIndex(
      [{ id: 'bad', cert: 'x', key: 'y' }],
      [{ name: 'a.test', certificate: { id: 'bad' } }],
      problems,
    );
    assert.equal(broken.byName.size, 0);
    assert.deepEqual(
      problems.map((p) => p.message.split(':')[0]),
      ['certificate bad', 'sni a.test'],
    );
  });
});
