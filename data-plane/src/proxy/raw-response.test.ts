import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawResponseValueError } from '@turnpike/shared';
import { rawHead } from './raw-response.ts';

describe('rawHead', () => {
  it('writes the status line and the headers', () => {
    assert.equal(
      rawHead(403, 'Forbidden', ['X-A', '1', 'Connection', 'close']),
      'HTTP/1.1 403 Forbidden\r\nX-A: 1\r\nConnection: close\r\n\r\n',
    );
  });

  it('refuses anything that would split the head', () => {
    for (const [status, reason, headers] of [
      [403, 'Forbidden', ['X-A', 'a\r\nX-Injected: 1']],
      [403, 'Forbidden', ['X-A\r\nX-Injected', '1']],
      [403, 'For\r\nbidden', []],
      [1000, 'Big', []],
    ] as const) {
      assert.throws(() => rawHead(status, reason, headers), RawResponseValueError);
    }
  });
});
