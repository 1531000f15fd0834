import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connectionRequest } from './connections.ts';

describe('connectionRequest', () => {
  it('numbers connections, and the requests on each', () => {
    const a = { localAddress: '127.0.0.1' } as Socket;
    const b = { localAddress: '::1' } as Socket;
    const first = connectionRequest(a);
    const second = connectionRequest(a);
    const other = connectionRequest(b);
    assert.equal(first.serverAddress, '127.0.0.1');
    assert.equal(second.serial, first.serial);
    assert.deepEqual([first.requests, second.requests], [1, 2]);
    assert.notEqual(other.serial, first.serial);
    assert.equal(other.requests, 1);
  });
});
