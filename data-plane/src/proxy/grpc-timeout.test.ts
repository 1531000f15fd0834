import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grpcTimeoutMs } from './grpc-timeout.ts';

describe('grpcTimeoutMs', () => {
  it('reads every unit of grpc-timeout in milliseconds', () => {
    assert.equal(grpcTimeoutMs('1H'), 3_600_000);
    assert.equal(grpcTimeoutMs('2M'), 120_000);
    assert.equal(grpcTimeoutMs('3S'), 3000);
    assert.equal(grpcTimeoutMs('250m'), 250);
    assert.equal(grpcTimeoutMs('1500u'), 2);
    assert.equal(grpcTimeoutMs('10n'), 1, 'never below 1 ms');
  });

  it('ignores absent and malformed values', () => {
    assert.equal(grpcTimeoutMs(undefined), undefined);
    assert.equal(grpcTimeoutMs('S'), undefined);
    assert.equal(grpcTimeoutMs('10x'), undefined);
    assert.equal(grpcTimeoutMs('-1S'), undefined);
    assert.equal(grpcTimeoutMs('123456789S'), undefined, 'at most 8 digits');
    assert.equal(grpcTimeoutMs(['1S', '2S']), undefined);
  });
});
