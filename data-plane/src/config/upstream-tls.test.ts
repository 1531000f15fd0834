import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouterProblem } from '../router/index.ts';
import type { ProxyServiceConfig } from '../runtime/index.ts';
import {
  compileUpstreamTls,
  DEFAULT_UPSTREAM_TLS,
  referencesTlsEntity,
  upstreamTlsEntities,
} from './upstream-tls.ts';

const entities = upstreamTlsEntities(
  [
    { id: 'ca1', cert: 'CA ONE' },
    { id: 'ca2', cert: 'CA TWO' },
  ],
  [{ id: 'c1', cert: 'CLIENT CERT', key: 'CLIENT KEY' }],
);

function https(extra: Partial<ProxyServiceConfig> = {}): ProxyServiceConfig {
  return { id: 's', protocol: 'https', host: 'example.com', port: 443, ...extra };
}

function compile(service: ProxyServiceConfig, problems: RouterProblem[] = []) {
  return compileUpstreamTls(service, entities, problems);
}

describe('upstream TLS profiles', () => {
  it('are absent for plain-text protocols', () => {
    assert.equal(compile(https({ protocol: 'http' })), undefined);
  });

  it('default to no verification and nginx depth 1 when no TLS field is set', () => {
    assert.equal(compile(https()), DEFAULT_UPSTREAM_TLS);
    assert.equal(DEFAULT_UPSTREAM_TLS.verify, false);
    assert.equal(DEFAULT_UPSTREAM_TLS.depth, 1);
  });

  it('carry the listed CA certificates in order, the client certificate and the depth', () => {
    const profile = compile(
      https({
        tls_verify: true,
        tls_verify_depth: 3,
        ca_certificates: ['ca2', 'ca1'],
        client_certificate: { id: 'c1' },
      }),
    );
    assert.deepEqual(
      { ...profile, digest: undefined },
      {
        verify: true,
        ca: ['CA TWO', 'CA ONE'],
        cert: 'CLIENT CERT',
        key: 'CLIENT KEY',
        depth: 3,
        digest: undefined,
      },
    );
  });

  it('have equal digests for equal contents and different ones when a CA changes', () => {
    const service = https({ tls_verify: true, ca_certificates: ['ca1'] });
    assert.equal(compile(service)?.digest, compile({ ...service })?.digest);
    assert.notEqual(
      compile(service)?.digest,
      compile(https({ tls_verify: true, ca_certificates: ['ca2'] }))?.digest,
    );
    assert.notEqual(compile(service)?.digest, compile({ ...service, tls_verify: false })?.digest);
  });

  it('report a missing CA certificate and trust nothing in its place', () => {
    const problems: RouterProblem[] = [];
    const profile = compile(https({ tls_verify: true, ca_certificates: ['gone'] }), problems);
    assert.deepEqual(profile?.ca, []);
    assert.deepEqual(problems, [{ routeId: '', message: 'service s: ca_certificate gone not found' }]);
  });

  it('report a missing client certificate and present none', () => {
    const problems: RouterProblem[] = [];
    const profile = compile(https({ client_certificate: { id: 'gone' } }), problems);
    assert.equal(profile?.cert, undefined);
    assert.equal(problems.length, 1);
  });

  it('tell which services read a changed CA certificate or certificate', () => {
    const service = https({ ca_certificates: ['ca1'], client_certificate: { id: 'c1' } });
    assert.equal(referencesTlsEntity(service, new Set(['ca1']), new Set()), true);
    assert.equal(referencesTlsEntity(service, new Set(), new Set(['c1'])), true);
    assert.equal(referencesTlsEntity(service, new Set(['ca2']), new Set(['c2'])), false);
    assert.equal(referencesTlsEntity({ ...service, protocol: 'http' }, new Set(['ca1']), new Set()), false);
  });
});
