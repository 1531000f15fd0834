import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchemaViolationError } from '../errors.ts';
import { assertEntity, validateEntity } from './index.ts';

const insert = { operation: 'insert', now: 1700000000 } as const;

describe('services', () => {
  it('fills Kong defaults and generates id and timestamps on insert', () => {
    const r = validateEntity('services', { host: 'example.com' }, insert);
    assert.ok(r.ok);
    const { id, ...rest } = r.value;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(rest, {
      created_at: 1700000000,
      updated_at: 1700000000,
      name: null,
      retries: 5,
      protocol: 'http',
      host: 'example.com',
      port: 80,
      path: null,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      tags: null,
      client_certificate: null,
      tls_verify: null,
      tls_verify_depth: null,
      ca_certificates: null,
      enabled: true,
    });
  });

  it('expands the url shorthand into protocol, host, port and path', () => {
    const r = validateEntity('services', { url: 'https://api.example.com/v1' }, insert);
    assert.ok(r.ok);
    assert.equal(r.value.protocol, 'https');
    assert.equal(r.value.host, 'api.example.com');
    assert.equal(r.value.port, 443);
    assert.equal(r.value.path, '/v1');
    assert.equal('url' in r.value, false);
  });

  it('infers the protocol from port 443 and keeps an explicit port', () => {
    const a = validateEntity('services', { url: '//example.com:443' }, insert);
    assert.ok(a.ok);
    assert.equal(a.value.protocol, 'https');
    const b = validateEntity('services', { url: 'http://example.com:8080' }, insert);
    assert.ok(b.ok);
    assert.deepEqual([b.value.protocol, b.value.port, b.value.path], ['http', 8080, null]);
  });

  it('reports a url without a host as a missing host, as Kong does', () => {
    const r = validateEntity('services', { url: 'foo' }, insert);
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.equal(r.fields.host, 'required field missing');
    assert.equal(r.fields.path, 'should start with: /');
  });

  it('rejects a non-string url with the type message', () => {
    const r = validateEntity('services', { url: 5 }, insert);
    assert.deepEqual(r, { ok: false, fields: { url: 'expected a string' } });
  });

  it('uses Kong messages for protocol, port, timeouts, retries and path', () => {
    const r = validateEntity(
      'services',
      { host: 'h', protocol: 'ftp', port: 70000, connect_timeout: 0, retries: 1.5, path: 'x' },
      insert,
    );
    assert.ok(!r.ok);
    assert.deepEqual(r.fields, {
      protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss',
      port: 'value should be between 0 and 65535',
      connect_timeout: 'value should be between 1 and 2147483646',
      retries: 'expected an integer',
      path: 'should start with: /',
    });
  });

  it('rejects paths with empty segments or characters outside RFC 3986', () => {
    const a = validateEntity('services', { host: 'h', path: '/a//b' }, insert);
    assert.ok(!a.ok);
    assert.equal(a.fields.path, 'must not have empty segments');
    const b = validateEntity('services', { host: 'h', path: '/a b' }, insert);
    assert.ok(!b.ok);
    assert.equal(
      b.fields.path,
      "invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)",
    );
    const c = validateEntity('services', { host: 'h', path: '/a%zz' }, insert);
    assert.ok(!c.ok);
    assert.equal(c.fields.path, "invalid url-encoded value: '%zz'");
  });

  it('rejects a host with a port or invalid characters', () => {
    const a = validateEntity('services', { host: 'example.com:80' }, insert);
    assert.ok(!a.ok);
    assert.equal(a.fields.host, 'must not have a port');
    const b = validateEntity('services', { host: 'exa mple' }, insert);
    assert.ok(!b.ok);
    assert.equal(b.fields.host, 'invalid value: exa mple');
  });

  it('refuses TLS settings unless the protocol is https or tls', () => {
    const r = validateEntity('services', { host: 'h', tls_verify: true, tls_verify_depth: 2 }, insert);
    assert.ok(!r.ok);
    assert.deepEqual(r.fields, {
      tls_verify: 'value must be null',
      tls_verify_depth: 'value must be null',
      '@entity': [
        "failed conditional validation given value of field 'protocol'",
        "failed conditional validation given value of field 'protocol'",
      ],
    });
    assert.ok(validateEntity('services', { host: 'h', protocol: 'https', tls_verify: true }, insert).ok);
  });

  it('refuses a path on a tcp service', () => {
    const r = validateEntity('services', { host: 'h', protocol: 'tcp', path: '/x' }, insert);
    assert.ok(!r.ok);
    assert.equal(r.fields.path, 'value must be null');
  });

  it('rejects unknown fields with "unknown field"', () => {
    const r = validateEntity('services', { host: 'h', nope: 1 }, insert);
    assert.deepEqual(r, { ok: false, fields: { nope: 'unknown field' } });
  });

  it('checks names against the utf8 name pattern', () => {
    const r = validateEntity('services', { host: 'h', name: 'my service' }, insert);
    assert.ok(!r.ok);
    assert.equal(
      r.fields.name,
      "invalid value 'my service': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    );
    assert.ok(validateEntity('services', { host: 'h', name: 'café.v1~x' }, insert).ok);
  });

  it('validates only the given fields on update and fills no defaults', () => {
    const r = validateEntity('services', { retries: 3 }, { operation: 'update', now: 5 });
    assert.deepEqual(r, { ok: true, value: { updated_at: 5, retries: 3 } });
  });

  it('validates an update merged onto the current entity when given', () => {
    const current = validateEntity('services', { host: 'h', protocol: 'tcp' }, insert);
    assert.ok(current.ok);
    const r = validateEntity(
      'services',
      { path: '/x' },
      { operation: 'update', now: 5, current: current.value },
    );
    assert.ok(!r.ok);
    assert.equal(r.fields.path, 'value must be null');
  });

  it('throws SchemaViolationError with Kong code 2 and message from assertEntity', () => {
    assert.throws(
      () => assertEntity('services', { host: 'h', port: 'x' }, insert),
      (err: unknown) =>
        err instanceof SchemaViolationError &&
        err.code === 'TP_SCHEMA_VIOLATION' &&
        err.kongCode === 2 &&
        err.message === 'schema violation (port: expected an integer)',
    );
  });

  it('answers a non-object input with Kong\'s "expected an input table"', () => {
    assert.deepEqual(validateEntity('services', [], insert), {
      ok: false,
      fields: { '@entity': ['expected an input table'] },
    });
  });
});
