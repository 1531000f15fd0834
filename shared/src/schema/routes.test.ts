import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutePathRegex, validateEntity } from './index.ts';

const insert = { operation: 'insert', now: 1 } as const;

function errorsOf(input: unknown) {
  const r = validateEntity('routes', input, insert);
  assert.ok(!r.ok, 'expected a validation failure');
  return r.fields;
}

describe('routes', () => {
  it('fills Kong defaults for an http route', () => {
    const r = validateEntity('routes', { paths: ['/api'] }, insert);
    assert.ok(r.ok);
    assert.deepEqual(r.value.protocols, ['http', 'https']);
    assert.equal(r.value.https_redirect_status_code, 426);
    assert.equal(r.value.regex_priority, 0);
    assert.equal(r.value.strip_path, true);
    assert.equal(r.value.preserve_host, false);
    assert.equal(r.value.request_buffering, true);
    assert.equal(r.value.response_buffering, true);
    assert.equal(r.value.path_handling, 'v0');
    assert.equal(r.value.service, null);
  });

  it('requires a matching attribute, naming snis when https is among the protocols', () => {
    assert.deepEqual(errorsOf({}), {
      '@entity': [
        "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
      ],
    });
    assert.deepEqual(errorsOf({ protocols: ['http'] }), {
      '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
    });
  });

  it('accepts PCRE named groups in regex paths and compiles them for the router', () => {
    assert.ok(validateEntity('routes', { paths: ['~/users/(?P<id>\\d+)$'] }, insert).ok);
    const re = compileRoutePathRegex('/users/(?P<id>\\d+)$');
    assert.equal(re.exec('/users/42')?.groups?.id, '42');
    assert.equal(re.exec('/x/users/42'), null, 'anchored at the start, as Kong');
  });

  it("rejects an invalid regex path with Kong's message", () => {
    const fields = errorsOf({ paths: ['/ok', '~/users/(foo'] });
    assert.ok(Array.isArray(fields.paths));
    assert.equal(fields.paths[0], null);
    assert.match(String(fields.paths[1]), /^invalid regex: '\/users\/\(foo' \(PCRE returned: .+\)$/);
  });

  it('checks each path: prefix, empty segments, normalisation', () => {
    assert.deepEqual(errorsOf({ paths: ['api', '/a//b', '/a/../b', '/%7Efoo'] }).paths, [
      'should start with: / (fixed path) or ~/ (regex path)',
      'must not have empty segments',
      "non-normalized path, consider use '/b' instead",
      "non-normalized path, consider use '/~foo' instead",
    ]);
  });

  it('refuses a host header and bad header names', () => {
    assert.equal(
      errorsOf({ headers: { Host: ['a'] } }).headers,
      "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
    );
    assert.equal(
      errorsOf({ headers: { 'x y': ['a'] } }).headers,
      "bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
    );
    assert.equal(errorsOf({ headers: { 'x-a': 'b' } }).headers, 'expected an array');
  });

  it('allows one wildcard in a host, as the leftmost or rightmost label', () => {
    assert.ok(validateEntity('routes', { hosts: ['*.example.com', 'example.*', 'a.com:8000'] }, insert).ok);
    assert.deepEqual(errorsOf({ hosts: ['*.a.*', 'a.*.com'] }).hosts, [
      'invalid wildcard: must have at most one wildcard',
      'invalid wildcard: must be placed at leftmost or rightmost label',
    ]);
  });

  it('allows a port after either wildcard (Kong refuses it after a right one, which its routers match)', () => {
    const valid = ['route.*:123', 'route.*:80', '*.example.org:321', 'example.*'];
    assert.ok(validateEntity('routes', { hosts: valid }, insert).ok);
    assert.deepEqual(errorsOf({ hosts: ['route.*:abc', 'route.*:99999', 'route*:80', 'route.*:'] }).hosts, [
      'invalid wildcard: must be placed at leftmost or rightmost label',
      'invalid port number',
      'invalid wildcard: must be placed at leftmost or rightmost label',
      'invalid wildcard: must be placed at leftmost or rightmost label',
    ]);
  });

  it('allows snis only with a TLS protocol', () => {
    assert.deepEqual(errorsOf({ protocols: ['http'], hosts: ['a.com'], snis: ['a.com'] }), {
      snis: 'length must be 0',
      '@entity': [
        "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls', 'tls_passthrough', or 'wss'",
      ],
    });
    assert.ok(validateEntity('routes', { protocols: ['https'], snis: ['a.com'] }, insert).ok);
  });

  it('refuses sources on an http route with the subschema message', () => {
    assert.equal(
      errorsOf({ paths: ['/'], sources: [{ ip: '10.0.0.1' }] }).sources,
      "cannot set 'sources' when 'protocols' is 'http' or 'https'",
    );
  });

  it('defaults strip_path to false for grpc routes and refuses true', () => {
    const r = validateEntity('routes', { protocols: ['grpc'], paths: ['/svc'] }, insert);
    assert.ok(r.ok);
    assert.equal(r.value.strip_path, false);
    assert.equal(
      errorsOf({ protocols: ['grpc'], paths: ['/svc'], strip_path: true }).strip_path,
      "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    );
  });

  it('requires sources, destinations or snis on stream routes and refuses http attributes', () => {
    assert.deepEqual(errorsOf({ protocols: ['tcp'], paths: ['/'] }), {
      paths: "cannot set 'paths' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'",
      '@entity': [
        "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
      ],
    });
    assert.ok(validateEntity('routes', { protocols: ['tcp'], destinations: [{ port: 5432 }] }, insert).ok);
  });

  it('gives nested errors for source records', () => {
    assert.deepEqual(
      errorsOf({ protocols: ['tcp'], sources: [{ ip: '10.0.0.0/8' }, {}, { ip: 'x' }] }).sources,
      [
        null,
        { '@entity': ["at least one of these fields must be non-empty: 'ip', 'port'"] },
        { ip: "invalid ip or cidr range: 'x'" },
      ],
    );
  });

  it("takes udp routes with Kong's stream rules: sources or destinations, no snis", () => {
    assert.ok(validateEntity('routes', { protocols: ['udp'], sources: [{ ip: '10.0.0.1' }] }, insert).ok);
    assert.equal(
      (errorsOf({ protocols: ['udp'] })['@entity'] as string[] | undefined)?.[0],
      "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
    );
  });

  it('refuses protocols from different families', () => {
    assert.equal(
      errorsOf({ protocols: ['http', 'tcp'], paths: ['/'] }).protocols,
      "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')",
    );
  });

  it('de-duplicates sets and checks methods, redirect codes and tags', () => {
    const r = validateEntity('routes', { methods: ['GET', 'GET'], tags: ['a', 'a'] }, insert);
    assert.ok(r.ok);
    assert.deepEqual([r.value.methods, r.value.tags], [['GET'], ['a']]);
    assert.deepEqual(errorsOf({ methods: ['get'], https_redirect_status_code: 303, tags: ['a/b'] }), {
      methods: ['invalid value: get'],
      https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308',
      tags: ["invalid tag 'a/b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"],
    });
  });

  it('wants a service reference by id', () => {
    assert.deepEqual(errorsOf({ paths: ['/'], service: 'abc' }).service, { id: 'missing primary key' });
    assert.deepEqual(errorsOf({ paths: ['/'], service: { id: 'abc' } }).service, {
      id: 'expected a valid UUID',
    });
  });
});
