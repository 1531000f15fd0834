import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidHost } from './host-header.ts';

describe('isValidHost', () => {
  const valid = [
    'a',
    'example.com',
    'Example.COM:8080',
    'example.com.',
    '127.0.0.1',
    '127.0.0.1:80',
    '[::1]',
    '[::1]:8000',
    '[2001:db8::1]:65535',
    'xn--bcher-kva.example',
    'under_score.test',
    'a%41b',
    "sub-delims!$&'()*+,;=.test",
    'a:1',
  ];
  for (const host of valid)
    it(`accepts ${JSON.stringify(host)}`, () => assert.equal(isValidHost(host), true));

  const invalid = [
    '',
    '.',
    '..',
    'a..b',
    'a/b',
    'a b',
    'a\tb',
    'a\\b',
    'a@b',
    'a?b',
    'a#b',
    'a%zz',
    'a%4',
    'a:',
    ':80',
    'a:b',
    'a:80:81',
    'a:123456',
    'a:65536',
    '[::1',
    '[::1]x',
    '[::1]:',
    '[not-v6]',
    '[v1.future]',
    'ünicode.test',
    'a\u0000b',
  ];
  for (const host of invalid)
    it(`refuses ${JSON.stringify(host)}`, () => assert.equal(isValidHost(host), false));
});
