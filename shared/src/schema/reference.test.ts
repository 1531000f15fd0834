import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isReference, parseReference } from './reference.ts';

describe('isReference', () => {
  test('is Kong’s test: {vault:// … }', () => {
    assert.equal(isReference('{vault://env/x}'), true);
    assert.equal(isReference('{vault://env/x'), false);
    assert.equal(isReference('vault://env/x'), false);
    assert.equal(isReference(42), false);
  });
});

describe('parseReference', () => {
  test('reads the example of Kong’s documentation', () => {
    assert.deepEqual(parseReference('{vault://env/cert/key?prefix=SSL_#1}'), {
      ok: true,
      reference: { name: 'env', resource: 'cert', key: 'key', config: { prefix: 'SSL_' }, version: 1 },
    });
  });

  test('a resource alone, a directory path, escapes', () => {
    assert.deepEqual(parseReference('{vault://my-vault/db-password}'), {
      ok: true,
      reference: { name: 'my-vault', resource: 'db-password' },
    });
    assert.deepEqual(parseReference('{vault://env/a/b/}'), {
      ok: true,
      reference: { name: 'env', resource: 'a/b' },
    });
    assert.deepEqual(parseReference('{vault://env/my%20secret}'), {
      ok: true,
      reference: { name: 'env', resource: 'my secret' },
    });
  });

  test('refuses malformed references with Kong’s messages', () => {
    const error = (r: string) => {
      const parsed = parseReference(r);
      return parsed.ok ? undefined : parsed.error;
    };
    assert.equal(error('not one'), 'not a reference [not one]');
    assert.equal(error('{vault:///x}'), 'reference url is missing host [{vault:///x}]');
    assert.equal(error('{vault://env}'), 'reference url is missing path [{vault://env}]');
    assert.equal(error('{vault://env/}'), 'reference url has empty path [{vault://env/}]');
    assert.equal(error('{vault://env/x#one}'), 'reference url has invalid version [{vault://env/x#one}]');
    assert.equal(error('{vault://env//}'), 'reference url has invalid path [{vault://env//}]');
  });
});
