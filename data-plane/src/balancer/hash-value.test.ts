import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HashRequest, hashValue } from './hash-value.ts';
import { compileUpstreamSpec } from './spec.ts';

const REQ: HashRequest = {
  headers: { 'x-user': 'u1', cookie: 'a=1; sticky=abc' },
  clientIp: '192.0.2.7',
  path: '/p',
  query: 'k=b&k=a',
  uriCaptures: { id: '42' },
  consumerId: undefined,
};

const spec = (extra: object) => compileUpstreamSpec({ id: 'u', name: 'up', ...extra });

describe('hash values', () => {
  it('read the configured source: header, ip, path, sorted query args, uri capture', () => {
    assert.equal(hashValue(spec({ hash_on: 'header', hash_on_header: 'X-User' }), REQ).value, 'u1');
    assert.equal(hashValue(spec({ hash_on: 'ip' }), REQ).value, '192.0.2.7');
    assert.equal(hashValue(spec({ hash_on: 'path' }), REQ).value, '/p');
    assert.equal(hashValue(spec({ hash_on: 'query_arg', hash_on_query_arg: 'k' }), REQ).value, 'a,b');
    assert.equal(hashValue(spec({ hash_on: 'uri_capture', hash_on_uri_capture: 'id' }), REQ).value, '42');
  });

  it('fall back when the first source is absent, and hash "" when both are', () => {
    const s = spec({ hash_on: 'consumer', hash_fallback: 'header', hash_fallback_header: 'x-user' });
    assert.equal(hashValue(s, REQ).value, 'u1');
    const none = spec({ hash_on: 'header', hash_on_header: 'x-missing' });
    assert.equal(hashValue(none, REQ).value, '');
  });

  it('use an existing hash cookie, and create one to be set when it is absent', () => {
    const s = spec({ hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' });
    assert.deepEqual(hashValue(s, REQ), { value: 'abc', setCookie: undefined });
    const created = hashValue(s, { ...REQ, headers: {} });
    assert.match(created.value, /^[0-9a-f-]{36}$/);
    assert.equal(created.setCookie, `sticky=${created.value}; Path=/app; Same-Site=Lax; HttpOnly`);
  });
});
