import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedOrigin, compileOrigins, normalizeOrigin } from './origins.ts';

/** Kong 3.10 spec/03-plugins/13-cors/01-access_spec.lua regex_testcases: true = the origin itself. */
const CASES: [string[], Record<string, string | boolean>][] = [
  [['foo.test'], { 'http://evil.test': 'foo.test', 'https://bar.test:1234': 'foo.test' }],
  [['https://bar.test:1234'], { 'http://evil.test': 'https://bar.test:1234' }],
  [
    ['foo\\.test'],
    {
      'http://evil.test': false,
      'http://foo.test': true,
      'http://foo.test.evil.test': false,
      'http://something.foo.test': false,
      'http://evilfoo.test': false,
      'http://foo.test:80': 'http://foo.test',
      'http://foo.test:8000': true,
      'https://foo.test:8000': true,
      'http://foobtest': false,
    },
  ],
  [
    ['(.*[./])?foo\\.test'],
    { 'http://foo.test': true, 'http://something.foo.test': true, 'http://evilfoo.test': false },
  ],
  [
    ['(.*[./])?foo\\.test:8000'],
    {
      'http://foo.test': false,
      'http://foo.test:8000': true,
      'https://foo.test:8000': true,
      'http://foo.test:90': false,
    },
  ],
  [
    ['https://(.*[.])?foo\\.test:8000'],
    { 'http://foo.test:8000': false, 'https://foo.test:8000': true, 'https://a.foo.test:8000': true },
  ],
  [
    ['http://my-site.test', 'https://my-other-site.test:9000'],
    {
      'http://my-site.test': true,
      'http://my-site.test:80': 'http://my-site.test',
      'http://my-site.test:8000': false,
      'https://my-site.test': false,
      'https://my-other-site.test:9000': true,
      'https://my-other-site.test:9001': false,
    },
  ],
];

describe('cors origins', () => {
  for (const [origins, tests] of CASES) {
    it(`${JSON.stringify(origins)} answers as Kong's`, () => {
      const policy = compileOrigins(origins);
      for (const [origin, expected] of Object.entries(tests)) {
        const want = expected === true ? origin : expected === false ? undefined : expected;
        assert.equal(allowedOrigin(policy, origin).value, want, origin);
      }
    });
  }

  it('allow everyone with no origins, a lone `*`, or any `*` entry', () => {
    assert.deepEqual(allowedOrigin(compileOrigins(undefined), 'x.test'), { value: '*', allowAll: true });
    assert.deepEqual(allowedOrigin(compileOrigins([]), undefined), { value: '*', allowAll: true });
    assert.deepEqual(allowedOrigin(compileOrigins(['*']), 'x.test'), { value: '*', allowAll: true });
    const listed = compileOrigins(['http://a.test', '*']);
    assert.deepEqual(allowedOrigin(listed, 'http://www.example.net'), { value: '*', allowAll: true });
    assert.deepEqual(allowedOrigin(listed, undefined), { value: undefined, allowAll: false });
  });

  it('normalize origins as LuaSocket parses them: a host only after //', () => {
    assert.deepEqual(normalizeOrigin('example.test'), { domain: 'example.test', host: 'example.test' });
    assert.deepEqual(normalizeOrigin('https://a.test:443'), { domain: 'https://a.test', host: 'a.test' });
    assert.deepEqual(normalizeOrigin('http://u@a.test:81/x'), { domain: 'http://a.test:81', host: 'a.test' });
  });
});
