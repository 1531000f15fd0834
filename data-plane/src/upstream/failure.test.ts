import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamWriteTimeoutError } from '@turnpike/shared';
import { classifyUpstreamError, isRetryable } from './failure.ts';

const err = (code: string) => Object.assign(new Error(code), { code });

describe('upstream failures', () => {
  it('are timeouts (504) for connect, headers and body timeouts', () => {
    for (const code of ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
      assert.equal(classifyUpstreamError(err(code)), 'timeout');
    }
  });

  it('are timeouts (504) when the upstream stopped reading the request body (write_timeout)', () => {
    assert.equal(classifyUpstreamError(new UpstreamWriteTimeoutError('no body read for 10 ms')), 'timeout');
    assert.equal(isRetryable(new UpstreamWriteTimeoutError('no body read for 10 ms')), false);
  });

  it('are invalid responses (502) for resets and unknown errors', () => {
    assert.equal(classifyUpstreamError(err('UND_ERR_SOCKET')), 'invalid');
    assert.equal(classifyUpstreamError(new Error('x')), 'invalid');
  });

  it('may be retried only when the connection never opened', () => {
    assert.equal(isRetryable(err('ECONNREFUSED')), true);
    assert.equal(isRetryable(err('UND_ERR_CONNECT_TIMEOUT')), true);
    assert.equal(isRetryable(err('UND_ERR_SOCKET')), false);
    assert.equal(isRetryable(err('UND_ERR_HEADERS_TIMEOUT')), false);
  });
});
