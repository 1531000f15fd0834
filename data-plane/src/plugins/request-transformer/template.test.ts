import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate, type Piece, render, SUPPORTED } from './template.ts';

const env = {
  header: (name: string) => ({ 'x-name': 'Ada', host: 'h.test' })[name],
  query: (name: string) => ({ q1: '20' })[name],
  captures: { named: { user1: 'foo' }, unnamed: ['foo', 'bar'] },
};

function rendered(template: string): string {
  const compiled = compileTemplate(template);
  assert.ok(Array.isArray(compiled), JSON.stringify(compiled));
  return render(compiled as Piece[], env);
}

describe('request-transformer templates', () => {
  it('render request values, defaults and literals', () => {
    assert.equal(rendered('plain'), 'plain');
    assert.equal(rendered('$(headers.x_name)-$(headers["X-Name"])'), 'Ada-Ada');
    assert.equal(
      rendered("/u/$(uri_captures.user1)/$(uri_captures[2])?$(query_params['q1'])"),
      '/u/foo/bar?20',
    );
    assert.equal(rendered("$(uri_captures.nope or 'default1')"), 'default1');
    assert.equal(rendered('$(query_params.missing)'), 'nil');
    assert.equal(rendered("$('$(uri_captures.user1)')"), '$(uri_captures.user1)');
  });

  it('refuse any other code', () => {
    for (const code of [
      '$(ERROR())',
      '$(10 * uri_captures.user1)',
      '$(shared.x)',
      '$(uri_captures[0])',
      '$(os.exit())',
    ])
      assert.deepEqual(compileTemplate(code), { error: SUPPORTED }, code);
    assert.deepEqual(compileTemplate('$(headers.x'), { error: "unclosed $( in '$(headers.x'" });
  });
});
