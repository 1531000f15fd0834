import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isJsonBody } from './handler.ts';
import { compileJson, transformJson } from './json.ts';
import { pairOf } from './pairs.ts';
import type { ResponseTransformerConfig } from './schema.ts';

interface Part {
  readonly json?: string[];
  readonly json_types?: string[];
}
const empty = { json: [], json_types: [], headers: [] };
function conf(part: Partial<Record<'add' | 'append' | 'replace', Part>>): ResponseTransformerConfig {
  return {
    remove: { json: [], headers: [] },
    rename: { json: [], headers: [] },
    replace: { ...empty, ...part.replace },
    add: { ...empty, ...part.add },
    append: { ...empty, ...part.append },
  } as unknown as ResponseTransformerConfig;
}

describe('response-transformer JSON', () => {
  it("splits entries as Kong's ^([^:]+):*(.-)$", () => {
    assert.deepEqual(pairOf('a:b:c'), { name: 'a', value: 'b:c' });
    assert.deepEqual(pairOf('a::b'), { name: 'a', value: 'b' });
    assert.deepEqual(pairOf('a'), { name: 'a', value: '' });
  });

  it('keeps quotes and escapes as Kong json_value does; a value-less add is the string "null"', () => {
    const ops = compileJson(conf({ add: { json: ['q:say "hi"', 'nl:a\\nb', 'none'] } }))!;
    assert.deepEqual(JSON.parse(transformJson(ops, '{}')!), { q: 'say "hi"', nl: 'a\\\\nb', none: 'null' });
  });

  it('refuses a body that is not a JSON object', () => {
    const ops = compileJson(conf({ add: { json: ['a:1'] } }))!;
    assert.equal(transformJson(ops, 'not json'), undefined);
    assert.equal(transformJson(ops, '[1]'), undefined);
    assert.equal(compileJson(conf({})), undefined);
  });

  it('recognises JSON media types as Kong', () => {
    assert.equal(isJsonBody('application/json; charset=utf-8'), true);
    assert.equal(isJsonBody('application/problem+json'), true);
    assert.equal(isJsonBody('text/plain, application/json'), true);
    assert.equal(isJsonBody('text/json'), false);
    assert.equal(isJsonBody(undefined), false);
  });
});
