import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEntity } from '@turnpike/shared/schema';
import { contentTypeMatches, parseDirectives, parseMediaType, resourceTtl } from './cache-control.ts';
import { headersKey, keyUri, paramsKey, prefixOf } from './cache-key.ts';
import { schema } from './schema.ts';

function validate(config: Record<string, unknown>) {
  return validateEntity(
    'plugins',
    { name: 'proxy-cache', config },
    { operation: 'insert', pluginSchemas: (n) => (n === 'proxy-cache' ? schema : undefined) },
  );
}

function configErrors(config: Record<string, unknown>): Record<string, unknown> {
  const result = validate(config);
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? {} : ((result.fields as { config: Record<string, unknown> }).config ?? {});
}

describe('proxy-cache schema (Kong 3.10 spec 31-proxy-cache/01-schema_spec)', () => {
  it("accepts a minimal config and fills Kong's defaults", () => {
    const result = validate({ strategy: 'memory' });
    assert.ok(result.ok);
    const c = result.value.config as Record<string, unknown>;
    assert.deepEqual(c.response_code, [200, 301, 404]);
    assert.deepEqual(c.request_method, ['GET', 'HEAD']);
    assert.deepEqual(c.content_type, ['text/plain', 'application/json']);
    assert.equal(c.cache_ttl, 300);
    assert.equal(c.cache_control, false);
    assert.deepEqual(c.memory, { dictionary_name: 'kong_db_cache' });
    assert.deepEqual(c.response_headers, { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true });
  });

  it('requires a strategy, memory being the only one', () => {
    assert.deepEqual(configErrors({}), { strategy: 'required field missing' });
    assert.deepEqual(configErrors({ strategy: 'redis' }), { strategy: 'expected one of: memory' });
  });

  it("refuses bad response codes and TTLs in Kong's words", () => {
    assert.deepEqual(configErrors({ strategy: 'memory', response_code: [99] }).response_code, [
      'value should be between 100 and 900',
    ]);
    assert.equal(
      configErrors({ strategy: 'memory', response_code: [] }).response_code,
      'length must be at least 1',
    );
    assert.equal(
      configErrors({ strategy: 'memory', response_code: '200' }).response_code,
      'expected an array',
    );
    assert.deepEqual(configErrors({ strategy: 'memory', response_code: [200.5] }).response_code, [
      'expected an integer',
    ]);
    assert.equal(
      configErrors({ strategy: 'memory', cache_ttl: 0 }).cache_ttl,
      'value must be greater than 0',
    );
  });
});

describe("Kong's cache key (spec 31-proxy-cache/05-cache_key_spec)", () => {
  it('prefixes by consumer and route, else route, else default', () => {
    assert.equal(prefixOf('c', 'r'), 'c:r');
    assert.equal(prefixOf(undefined, 'r'), 'r');
    assert.equal(prefixOf('c', undefined), 'default');
    assert.equal(prefixOf(undefined, undefined), 'default');
  });

  it('keys every parameter sorted by default, only the listed ones otherwise', () => {
    assert.equal(
      paramsKey(
        new Map([
          ['b', '2'],
          ['a', '1'],
        ]),
        [],
      ),
      'a=1:b=2',
    );
    assert.equal(paramsKey(new Map(), ['a']), '');
    assert.equal(
      paramsKey(
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
        ['a'],
      ),
      'a=1',
    );
    assert.equal(paramsKey(new Map([['a', ['2', '1']]]), ['a']), 'a=1,2');
    assert.equal(
      paramsKey(
        new Map<string, string | string[]>([
          ['a', ['1', '2']],
          ['b', '2'],
        ]),
        ['a', 'b', 'c'],
      ),
      'a=1,2:b=2',
    );
  });

  it('keys no header by default', () => {
    assert.equal(headersKey(new Map([['a', '1']]), []), '');
    assert.equal(
      headersKey(
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
        ['a'],
      ),
      'a=1',
    );
  });

  it("uses Kong's request line without its query string as the uri", () => {
    assert.equal(keyUri('GET', '/a?x=1'), 'GET /a');
    assert.equal(keyUri('GET', '/a'), 'GET /a HTTP/1.1');
  });
});

describe('Cache-Control and content types as Kong parses them', () => {
  it('reads directives, numbers as numbers', () => {
    const cc = parseDirectives('no-cache, max-age=60, Private');
    assert.equal(cc.get('no-cache'), true);
    assert.equal(cc.get('max-age'), 60);
    assert.equal(cc.get('private'), true);
  });
  it('takes the TTL from s-maxage, max-age, then Expires', () => {
    assert.equal(resourceTtl(parseDirectives('max-age=10, s-maxage=20'), undefined, 0), 20);
    assert.equal(resourceTtl(parseDirectives(undefined), new Date(30_000).toUTCString(), 10), 20);
    assert.equal(resourceTtl(parseDirectives(undefined), undefined, 0), 0);
  });
  it('matches content types exactly, parameters included, or by wildcard', () => {
    const json = parseMediaType('application/json')!;
    assert.ok(contentTypeMatches(parseMediaType('Application/JSON')!, json));
    assert.ok(!contentTypeMatches(parseMediaType('application/json; charset=utf-8')!, json));
    assert.ok(contentTypeMatches(parseMediaType('text/html')!, parseMediaType('text/*')!));
    assert.ok(
      contentTypeMatches(
        parseMediaType('text/html; charset=utf-8')!,
        parseMediaType('text/*; charset=utf-8')!,
      ),
    );
    assert.equal(parseMediaType('not a type'), undefined);
  });
});
