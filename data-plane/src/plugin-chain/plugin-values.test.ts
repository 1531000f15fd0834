import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PluginValueError } from '@turnpike/shared';
import {
  checkHeaderName,
  checkHeaderValue,
  checkMethod,
  checkPath,
  checkQuery,
  checkStatus,
} from './plugin-values.ts';

function refusal(fn: () => unknown): PluginValueError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PluginValueError, String(err));
    assert.equal(err.plugin, 'p');
    return err;
  }
  assert.fail('accepted');
}

describe('plugin values at the SDK boundary', () => {
  it('accepts token names and printable values, and turns numbers and booleans into strings', () => {
    assert.equal(checkHeaderName('p', 'X-Custom_1'), 'X-Custom_1');
    assert.equal(checkHeaderValue('p', 'X-A', 'a value\twith tab and é'), 'a value\twith tab and é');
    assert.equal(checkHeaderValue('p', 'X-A', 42), '42');
    assert.equal(checkHeaderValue('p', 'X-A', false), 'false');
    assert.equal(checkStatus('p', 418), 418);
    assert.equal(checkQuery('p', 'a=1&b=%20'), 'a=1&b=%20');
  });

  it('refuses names that are not tokens, naming the plugin', () => {
    for (const name of ['', 'X A', 'X:A', 'X\r\nA', '(x)', 'é']) {
      assert.match(
        refusal(() => checkHeaderName('p', name)).message,
        /^plugin 'p' gave an invalid header name/,
      );
    }
    assert.match(refusal(() => checkHeaderName('p', 7)).message, /of type number/);
  });

  it('refuses values with CR, LF, NUL or another control character', () => {
    for (const value of [
      'a\r\nX-Injected: 1',
      'a\nb',
      'a\rb',
      'a\u0000b',
      'a\u0007b',
      'a\u007fb',
      'a\u0100b',
    ]) {
      assert.match(
        refusal(() => checkHeaderValue('p', 'X-A', value)).message,
        /gave header X-A an invalid value/,
      );
    }
    assert.match(refusal(() => checkHeaderValue('p', 'X-A', { a: 1 })).message, /of type object/);
  });

  it('refuses statuses outside 100–599 and non-integers', () => {
    for (const status of [99, 600, 999, 200.5, Number.NaN, '200']) {
      assert.match(refusal(() => checkStatus('p', status)).message, /expected an integer from 100 to 599/);
    }
  });

  it('refuses a raw query string that would split the request line', () => {
    for (const query of ['a b', 'a=1\r\nX: y', 'a\u0000', 'ü=\u0100']) {
      assert.match(refusal(() => checkQuery('p', query)).message, /invalid query string/);
    }
  });

  it('percent-encodes what a request line cannot carry in a path, keeping escapes; refuses one without /', () => {
    assert.equal(checkPath('p', '/a b/%20/é?#'), '/a%20b/%20/%C3%A9%3F%23');
    assert.equal(checkPath('p', '/100%'), '/100%25');
    assert.throws(() => checkPath('p', 'relative'), PluginValueError);
  });

  it('uppercases a method and refuses one that is not a token', () => {
    assert.equal(checkMethod('p', 'get'), 'GET');
    assert.throws(() => checkMethod('p', 'GE T'), PluginValueError);
  });
});
