import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kongCaptures } from './captures.ts';

describe('kongCaptures', () => {
  it("gives the router's captures Kong's shape: named by name, unnamed from group 1 on", () => {
    assert.deepEqual(kongCaptures({ 0: '/echo/status/200', 1: 'status', parameter: 'status' }), {
      named: { parameter: 'status' },
      unnamed: ['status'],
    });
  });

  it('is empty for a route matched without a regex', () => {
    assert.deepEqual(kongCaptures(undefined), { named: {}, unnamed: [] });
  });
});
