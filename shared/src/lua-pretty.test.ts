import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
