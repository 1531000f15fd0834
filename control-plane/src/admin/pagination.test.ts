import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type InvalidOptionsError, InvalidSizeError } from '@turnpike/shared';
import { decodeForm, decodeJson } from './body.ts';
import { entityEndpoints, sortEndpointPaths } from './endpoints.ts';
import { pageBody, parseListQuery, parseTags } from './pagination.ts';

describe('list queries and pages', () => {
  test('commas ask for every tag, slashes for any tag, a lone tag for itself', () => {
    assert.deepEqual(parseTags('a,b'), { all: ['a', 'b'] });
    assert.deepEqual(parseTags('a/b'), { any: ['a', 'b'] });
    assert.deepEqual(parseTags('a'), { all: ['a'] });
  });

  test("mixed separators, empty tags and more than five are refused with Kong's invalid options", () => {
    const refusal = (tags: unknown) => {
      try {
        parseListQuery({ tags });
      } catch (err) {
        return (err as InvalidOptionsError).toJSON();
      }
      return undefined;
    };
    assert.deepEqual(refusal(''), {
      message: 'invalid option (tags: cannot be null)',
      name: 'invalid options',
      code: 11,
      options: { tags: 'cannot be null' },
    });
    assert.equal(refusal('a,b/c')?.message, 'invalid option (tags: invalid filter syntax)');
    assert.equal(refusal('a//b')?.message, 'invalid option (tags: invalid filter syntax)');
    assert.equal(refusal(['', 'a'])?.message, 'invalid option (tags: invalid filter syntax)');
    assert.equal(refusal('a,b,c,d,e,f')?.message, 'invalid option (tags: cannot query more than 5 tags)');
    assert.equal(refusal('a,b'), undefined);
  });

  test('a size that is not a number is an invalid size error', () => {
    assert.throws(() => parseListQuery({ size: 'x' }), InvalidSizeError);
    assert.equal(parseListQuery({ size: '5' }).size, 5);
  });

  test('next repeats tags and size for top-level collections but not nested ones', () => {
    const q = parseListQuery({ size: '2', tags: 'a,b' });
    const page = { data: [], offset: 'b/f=' };
    assert.equal(pageBody(page, '/services', q, true).next, '/services?offset=b%2Ff%3D&tags=a%2Cb&size=2');
    assert.equal(pageBody(page, '/services/s/routes', q, false).next, '/services/s/routes?offset=b%2Ff%3D');
    assert.deepEqual(pageBody({ data: [] }, '/services', q, true), { data: [], next: null });
  });
});

describe('bodies', () => {
  test('repeated form keys become arrays', () => {
    assert.deepEqual(decodeForm('methods[]=GET&methods[]=POST&name=x').flat, {
      'methods[]': ['GET', 'POST'],
      name: 'x',
    });
  });

  test('an empty JSON body and a JSON array are unparseable, as in Kong', () => {
    assert.throws(() => decodeJson(' '), SyntaxError);
    assert.deepEqual(decodeJson('{}'), {});
    assert.throws(() => decodeJson('[1]'), SyntaxError);
  });
});

describe('generated endpoints', () => {
  test('every foreign field yields the nested collection, nested entity and foreign entity paths', () => {
    const kong = entityEndpoints().map((e) => e.kong);
    assert.ok(kong.includes('/services/{services}/routes'));
    assert.ok(kong.includes('/services/{services}/routes/{routes}'));
    assert.ok(kong.includes('/routes/{routes}/service'));
    assert.ok(kong.includes('/certificates/{certificates}/snis'));
    assert.ok(kong.includes('/consumers/{consumers}/jwt'));
  });

  test('endpoint paths sort segment by segment, as Kong lists them', () => {
    assert.deepEqual(sortEndpointPaths(['/ab', '/a/z', '/a', '/ab/a']), ['/a', '/a/z', '/ab', '/ab/a']);
  });
});
