import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { DeclarativeConfigError } from './errors.ts';
import { luaPretty, luaQuote } from './lua-pretty.ts';

describe("penlight's pretty.write", () => {
  it("on one line (space ''): keys sorted, strings quoted, null bare, odd keys bracketed", () => {
    assert.equal(luaPretty({ name: 'x' }), '{name="x"}');
    assert.equal(luaPretty({ service: { id: 'a' }, consumer: null }), '{consumer=null,service={id="a"}}');
    assert.equal(luaPretty({ 'x-y': 1, end: true }), '{["end"]=true,["x-y"]=1}');
    assert.equal(luaPretty(['a', 'b']), '{"a","b"}');
  });

  it('with the default indent: one entry per line, nested tables indented further', () => {
    assert.equal(luaPretty({ timeout: 'bad' }, '  '), '{\n  timeout = "bad"\n}');
    assert.equal(
      luaPretty({ active: { timeout: 'bad' }, passive: 'x' }, '  '),
      '{\n  active = {\n    timeout = "bad"\n  },\n  passive = "x"\n}',
    );
    assert.equal(luaPretty(['one', 'two'], '  '), '{\n  "one",\n  "two"\n}');
  });

  it('writes the holes of a sparse error array as explicit indices', () => {
    assert.equal(luaPretty([null, 'second bad'], '  '), '{\n  [2] = "second bad"\n}');
    assert.equal(luaPretty(['first', null, 'third']), '{"first",[3]="third"}');
  });

  it("quotes as LuaJIT's %q, or with long brackets around a newline", () => {
    assert.equal(luaQuote('say "hi" \\ now'), '"say \\"hi\\" \\\\ now"');
    assert.equal(luaQuote('a\u0001b\u00012'), '"a\\1b\\0012"');
    assert.equal(luaQuote('two\nlines'), '[[two\nlines]]');
    assert.equal(luaQuote('has ]] inside'), '[=[has ]] inside]=]');
  });
});
describe('luaPretty, as Kong’s declarative errors use it', () => {
  // The messages of Kong 3.10's spec/02-integration/04-admin_api/15-off_spec.lua.
  test('writes Kong’s declarative messages as its spec tests expect them', () => {
    assert.equal(
      luaPretty({
        services: [{ host: 'required field missing', port: 'value should be between 0 and 65535' }],
      }),
      '{services={{host="required field missing",port="value should be between 0 and 65535"}}}',
    );
    assert.equal(
      luaPretty({
        services: [null, "uniqueness violation: 'services' entity with name set to 'foo' already declared"],
      }),
      `{services={[2]="uniqueness violation: 'services' entity with name set to 'foo' already declared"}}`,
    );
    assert.equal(
      luaPretty({ error: 'failed parsing declarative configuration: expected an object' }),
      '{error="failed parsing declarative configuration: expected an object"}',
    );
  });

  test('items after a hole are keyed, keys that are not identifiers are bracketed', () => {
    assert.equal(luaPretty(['a', null, 'c', 'd']), '{"a",[3]="c",[4]="d"}');
    assert.equal(luaPretty({ '@entity': ['x'], end: 'kw', ok: 1 }), '{["@entity"]={"x"},["end"]="kw",ok=1}');
    assert.equal(luaPretty({}), '{}');
    assert.equal(luaPretty({ n: 1.5, t: true }), '{n=1.5,t=true}');
  });

  test('strings are quoted as pl.stringx.quote_string does', () => {
    assert.equal(luaQuote('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
    assert.equal(luaQuote('two\nlines'), '[[two\nlines]]');
    assert.equal(luaQuote('a ]] b'), '[=[a ]] b]=]');
  });

  test('DeclarativeConfigError carries the message Kong builds', () => {
    const err = new DeclarativeConfigError({ consumers: { bar: 'oops' } });
    assert.equal(err.message, 'declarative config is invalid: {consumers={bar="oops"}}');
  });
});
