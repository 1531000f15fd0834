import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { certDigest, ENTITIES, HEALTHCHECKS_DEFAULTS, validateEntity } from './index.ts';

const insert = { operation: 'insert', now: 1700000000.25 } as const;
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const UPSTREAM = { id: 'b0a9c8d7-e6f5-4a3b-9c1d-0e1f2a3b4c5d' };
const CONSUMER = { id: '6a9b2d1c-0e5f-4c3b-8a7d-2f1e0d9c8b7a' };

function fail(entity: Parameters<typeof validateEntity>[0], input: unknown) {
  const r = validateEntity(entity, input, insert);
  assert.ok(!r.ok, 'expected a validation failure');
  return r.fields;
}

describe('consumers', () => {
  it('needs a username or a custom_id', () => {
    assert.deepEqual(fail('consumers', {}), {
      '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    });
    assert.ok(validateEntity('consumers', { custom_id: 'c1' }, insert).ok);
    assert.equal(ENTITIES.consumers.endpoint_key, 'username');
  });

  it('says "when updating" when an update clears both', () => {
    const r = validateEntity('consumers', { username: null }, { operation: 'update', now: 1 });
    assert.ok(!r.ok);
    assert.deepEqual(r.fields['@entity'], [
      "when updating, at least one of these fields must be non-empty: 'custom_id', 'username'",
    ]);
  });
});

describe('upstreams', () => {
  it('fills the algorithm, slots and the full healthchecks defaults', () => {
    const r = validateEntity('upstreams', { name: 'backend.v1' }, insert);
    assert.ok(r.ok);
    assert.equal(r.value.algorithm, 'round-robin');
    assert.equal(r.value.slots, 10000);
    assert.equal(r.value.hash_on, 'none');
    assert.equal(r.value.hash_on_cookie_path, '/');
    assert.equal(r.value.use_srv_name, false);
    assert.deepEqual(
      r.value.healthchecks.active.unhealthy.http_statuses,
      [429, 404, 500, 501, 502, 503, 504, 505],
    );
    assert.deepEqual(r.value.healthchecks.passive.unhealthy.http_statuses, [429, 500, 503]);
    assert.equal(r.value.healthchecks.active.concurrency, 10);
    assert.equal(r.value.healthchecks.threshold, 0);
    assert.equal(HEALTHCHECKS_DEFAULTS.active.http_path, '/');
  });

  it('fills nested healthcheck defaults around a partial record', () => {
    const r = validateEntity(
      'upstreams',
      { name: 'u', healthchecks: { active: { healthy: { interval: 5 } } } },
      insert,
    );
    assert.ok(r.ok);
    assert.deepEqual(r.value.healthchecks.active.healthy, {
      interval: 5,
      http_statuses: [200, 302],
      successes: 0,
    });
    assert.equal(r.value.healthchecks.passive.type, 'http');
  });

  it('nests healthcheck errors by path', () => {
    const fields = fail('upstreams', {
      name: 'u',
      healthchecks: { active: { timeout: 'x', healthy: { http_statuses: [200, 1000] } } },
    });
    assert.deepEqual(fields, {
      healthchecks: {
        active: {
          timeout: 'expected a number',
          healthy: { http_statuses: [null, 'value should be between 100 and 999'] },
        },
      },
    });
  });

  it('requires the header to hash on, and a compatible fallback', () => {
    assert.deepEqual(fail('upstreams', { name: 'u', hash_on: 'header' }), {
      hash_on_header: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'hash_on'"],
    });
    assert.deepEqual(fail('upstreams', { name: 'u', hash_on: 'ip', hash_fallback: 'ip' }), {
      hash_fallback: 'expected one of: none, consumer, header, cookie, path, query_arg, uri_capture',
      '@entity': ["failed conditional validation given value of field 'hash_on'"],
    });
    assert.deepEqual(fail('upstreams', { name: 'u', algorithm: 'random', slots: 5 }), {
      algorithm: 'expected one of: consistent-hashing, least-connections, round-robin, latency',
      slots: 'value should be between 10 and 65536',
    });
  });

  it('wants a host name, without IP or port', () => {
    assert.equal(
      fail('upstreams', { name: '10.0.0.1' }).name,
      "Invalid name ('10.0.0.1'); no ip addresses allowed",
    );
    assert.equal(fail('upstreams', { name: 'a.com:80' }).name, "Invalid name ('a.com:80'); no port allowed");
    assert.equal(fail('upstreams', { name: 'a b' }).name, "Invalid name ('a b'); must be a valid hostname");
  });
});

describe('targets', () => {
  it('adds the default port 8000 and weight 100, IPv6 in brackets', () => {
    const r = validateEntity('targets', { target: 'example.com', upstream: UPSTREAM }, insert);
    assert.ok(r.ok);
    assert.equal(r.value.target, 'example.com:8000');
    assert.equal(r.value.weight, 100);
    assert.equal(r.value.created_at, 1700000000.25, 'milliseconds precision as Kong');
    const v6 = validateEntity('targets', { target: '::1', upstream: UPSTREAM }, insert);
    assert.ok(v6.ok);
    assert.equal(v6.value.target, '[::1]:8000');
  });

  it('rejects bad targets and weights, and needs the upstream', () => {
    assert.deepEqual(fail('targets', { target: 'a b', weight: 70000 }), {
      target: "Invalid target ('a b'); not a valid hostname or ip address",
      weight: 'value should be between 0 and 65535',
      upstream: 'required field missing',
    });
    assert.equal(ENTITIES.targets.fields.upstream.on_delete, 'cascade');
  });
});

describe('certificates and snis', () => {
  const rsa = { cert: fixture('rsa.crt'), key: fixture('rsa.key') };
  const ec = { cert: fixture('ec.crt'), key: fixture('ec.key') };

  it('accepts a matching pair and an alternative pair of another type', () => {
    assert.ok(validateEntity('certificates', rsa, insert).ok);
    assert.ok(validateEntity('certificates', { ...rsa, cert_alt: ec.cert, key_alt: ec.key }, insert).ok);
  });

  it('rejects a key that does not match the certificate', () => {
    assert.deepEqual(fail('certificates', { cert: rsa.cert, key: ec.key }), {
      '@entity': ['certificate does not match key'],
    });
  });

  it("rejects invalid PEM with Kong's prefixes", () => {
    const fields = fail('certificates', { cert: 'nope', key: 'nope' });
    assert.match(String(fields.cert), /^invalid certificate: /);
    assert.match(String(fields.key), /^invalid key: /);
  });

  it('needs both alternative fields, of a different key type', () => {
    assert.deepEqual(fail('certificates', { ...rsa, cert_alt: ec.cert }), {
      '@entity': ["all or none of these fields must be set: 'cert_alt', 'key_alt'"],
    });
    assert.deepEqual(fail('certificates', { ...rsa, cert_alt: rsa.cert, key_alt: rsa.key }), {
      '@entity': [
        'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), ' +
          'the provided certificates were both of the same type',
      ],
    });
  });

  it('marks private keys for encryption at rest', () => {
    assert.equal(ENTITIES.certificates.fields.key.sensitive, 'encrypt');
    assert.equal(ENTITIES.certificates.fields.key_alt.sensitive, 'encrypt');
  });

  it('validates sni names with one wildcard and cascades them with the certificate', () => {
    const cert = { id: UPSTREAM.id };
    assert.ok(validateEntity('snis', { name: '*.example.com', certificate: cert }, insert).ok);
    assert.equal(fail('snis', { name: '10.0.0.1', certificate: cert }).name, 'must not be an IP');
    assert.equal(
      fail('snis', { name: 'a.*.com', certificate: cert }).name,
      'wildcard must be leftmost or rightmost character',
    );
    assert.equal(ENTITIES.snis.fields.certificate.on_delete, 'cascade');
  });
});

describe('ca_certificates', () => {
  it('accepts a CA and computes its SHA-256 digest', () => {
    const cert = fixture('ca.crt');
    const r = validateEntity('ca_certificates', { cert }, insert);
    assert.ok(r.ok);
    assert.equal(r.value.cert_digest, certDigest(cert));
    assert.match(String(r.value.cert_digest), /^[0-9a-f]{64}$/);
  });

  it('refuses a certificate without the CA constraint, and bundles', () => {
    assert.deepEqual(fail('ca_certificates', { cert: fixture('leaf.crt') }), {
      '@entity': ['certificate does not appear to be a CA because it is missing the "CA" basic constraint'],
    });
    assert.deepEqual(fail('ca_certificates', { cert: fixture('ca.crt') + fixture('ca.crt') }), {
      '@entity': ['please submit only one certificate at a time'],
    });
  });
});

describe('credentials', () => {
  it('generates a key-auth key when none is given, and keeps a given one', () => {
    const r = validateEntity('keyauth_credentials', { consumer: CONSUMER }, insert);
    assert.ok(r.ok);
    assert.match(r.value.key, /^[0-9a-f]{32}$/);
    const given = validateEntity('keyauth_credentials', { consumer: CONSUMER, key: 'secret' }, insert);
    assert.ok(given.ok);
    assert.equal(given.value.key, 'secret');
    assert.equal(ENTITIES.keyauth_credentials.fields.consumer.on_delete, 'cascade');
  });

  it('needs a consumer, a username and a password for basic-auth; the password is hashed', () => {
    assert.deepEqual(fail('basicauth_credentials', {}), {
      consumer: 'required field missing',
      username: 'required field missing',
      password: 'required field missing',
    });
    assert.equal(ENTITIES.basicauth_credentials.fields.password.sensitive, 'hash');
  });

  it('generates jwt key and secret, and wants a public key for RS256', () => {
    const r = validateEntity('jwt_secrets', { consumer: CONSUMER }, insert);
    assert.ok(r.ok);
    assert.equal(r.value.algorithm, 'HS256');
    assert.match(r.value.secret, /^[0-9a-f]{32}$/);
    assert.deepEqual(fail('jwt_secrets', { consumer: CONSUMER, algorithm: 'RS256' }), {
      rsa_public_key: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'algorithm'"],
    });
    assert.deepEqual(fail('jwt_secrets', { consumer: CONSUMER, algorithm: 'RS256', rsa_public_key: 'x' }), {
      rsa_public_key: 'invalid key',
      '@entity': ["failed conditional validation given value of field 'algorithm'"],
    });
  });

  it('needs an acl group', () => {
    assert.deepEqual(fail('acls', { consumer: CONSUMER }), { group: 'required field missing' });
    assert.deepEqual(ENTITIES.acls.cache_key, ['consumer', 'group']);
  });
});
