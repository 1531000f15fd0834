import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUnreserved, escapePath, normalizePath, removeDotSegments } from './normalize.ts';

describe('normalizePath', () => {
  // Expected values follow Kong's kong/tools/uri.lua `normalize(uri, true)`: decode all but the
  // reserved set !*'();:@&=+$,/?%#[] (kept, upper-cased), remove dot segments, merge slashes.
  const cases: [string, string, string][] = [
    ['/', '/', 'the root is returned as is'],
    ['/foo/bar', '/foo/bar', 'a clean path is unchanged'],
    ['/foo/%2e%2e/bar', '/bar', 'encoded dots count as a dot segment'],
    ['/foo/%2E%2e/bar', '/bar', 'hex digits are case-insensitive'],
    ['/foo/.%2e/bar', '/bar', 'half-encoded dots count too'],
    ['/foo/../../../bar', '/bar', 'dot segments cannot climb above the root'],
    ['/..', '/', 'a lone /.. stays at the root'],
    ['/a/..', '/', 'a trailing /.. drops the last segment'],
    ['/a/.', '/a/', 'a trailing /. leaves a slash'],
    ['/./x', '/x', 'a /./ segment is removed'],
    ['/a/b/c/./../../g', '/a/g', 'the RFC 3986 5.2.4 example'],
    ['//a//b///c', '/a/b/c', 'duplicate slashes are merged'],
    ['/a%2Fb', '/a%2Fb', 'an encoded slash stays encoded and is no separator'],
    ['/a%2fb', '/a%2Fb', 'reserved escapes are upper-cased'],
    ['/a%2f..%2fb', '/a%2F..%2Fb', 'dots between encoded slashes are no dot segment'],
    ['/a%252e%252e/b', '/a%252e%252e/b', 'a double-encoded dot is not decoded twice'],
    ['/%7e%41%5f', '/~A_', 'unreserved characters are decoded'],
    ['/a%20b', '/a b', 'other characters are decoded, as Kong does'],
    ['/a\\..\\b', '/a\\..\\b', 'a backslash is an ordinary character'],
    ['/a%5C..%5Cb', '/a\\..\\b', 'an encoded backslash is decoded but still no separator'],
    ['/caf%C3%A9', '/café', 'valid UTF-8 sequences are decoded'],
    ['/%FF%FE', '/%FF%FE', 'invalid UTF-8 stays encoded (our choice)'],
    ['/a%00b%1f', '/a%00b%1F', 'control characters stay encoded (our choice)'],
    ['/50%zz/%4', '/50%zz/%4', 'malformed escapes are left alone'],
  ];
  for (const [raw, expected, why] of cases) {
    it(`turns ${raw} into ${expected}: ${why}`, () => {
      assert.equal(normalizePath(raw), expected);
    });
  }

  it('is idempotent on its own output', () => {
    for (const [raw] of cases) assert.equal(normalizePath(normalizePath(raw)), normalizePath(raw));
  });

  it('removes dot segments without decoding and decodes without removing dot segments', () => {
    assert.equal(removeDotSegments('/a/%2e%2e/b'), '/a/%2e%2e/b');
    assert.equal(decodeUnreserved('/a/%2e%2e/b'), '/a/../b');
  });
});

describe('escapePath', () => {
  // Kong's kong/tools/uri.lua `escape`: everything outside !#$&'()*+,/:;=?@[]A-Za-z0-9-_.~% is
  // percent-encoded as UTF-8 for the upstream request line.
  const cases: [string, string][] = [
    ['/plain/path-1_2.3~', '/plain/path-1_2.3~'],
    ['/a b', '/a%20b'],
    ['/a\\b', '/a%5Cb'],
    ['/café', '/caf%C3%A9'],
    ['/a%2Fb', '/a%2Fb'],
    ['/q"<>`{|}^', '/q%22%3C%3E%60%7B%7C%7D%5E'],
    ["/keep!$&'()*+,;=:@[]", "/keep!$&'()*+,;=:@[]"],
  ];
  for (const [path, expected] of cases) {
    it(`sends ${path} upstream as ${expected}`, () => {
      assert.equal(escapePath(path), expected);
    });
  }

  it('round-trips through normalisation to the same upstream path', () => {
    assert.equal(escapePath(normalizePath('/caf%c3%a9/a%20b')), '/caf%C3%A9/a%20b');
  });
});
