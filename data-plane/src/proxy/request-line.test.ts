import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestLineStatus, versionStatus } from './request-line.ts';
import { DEFAULT_LIMITS } from './settings.ts';

describe('versionStatus', () => {
  it('serves HTTP/1.x, and HTTP/2 only when it came as HTTP/2 frames', () => {
    assert.equal(versionStatus(1, false), 0);
    assert.equal(versionStatus(2, true), 0);
    assert.equal(versionStatus(2, false), 505);
    assert.equal(versionStatus(3, false), 505);
    assert.equal(versionStatus(0, false), 400);
  });
});

describe('requestLineStatus', () => {
  const limits = { ...DEFAULT_LIMITS, maxUrlLength: 10, maxHeaderCount: 1 };
  it('checks the version first, then the target, then the header count', () => {
    assert.equal(requestLineStatus('/ok', ['Host', 'a'], limits, 1, false), 0);
    assert.equal(requestLineStatus(`/${'a'.repeat(20)}`, [], limits, 2, false), 505);
    assert.equal(requestLineStatus(`/${'a'.repeat(20)}`, [], limits, 1, false), 414);
    assert.equal(requestLineStatus('*', [], limits, 1, false), 400);
    assert.equal(requestLineStatus('http://a/', [], limits, 1, false), 400);
    assert.equal(requestLineStatus('/', ['A', '1', 'B', '2'], limits, 1, false), 431);
  });
});
