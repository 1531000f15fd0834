import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Command,
  IPv4Address,
  IPv4ProxyAddress,
  TransportProtocol,
  V2ProxyProtocol,
} from 'proxy-protocol-js';
import { readProxyHeader } from './proxy-protocol.ts';

describe('readProxyHeader', () => {
  it('reads a v1 header and says where the client bytes start', () => {
    const buf = Buffer.from('PROXY TCP4 10.1.2.3 127.0.0.1 5555 80\r\nhello');
    assert.deepEqual(readProxyHeader(buf), {
      kind: 'header',
      length: buf.length - 5,
      source: { ip: '10.1.2.3', port: 5555 },
      destination: { ip: '127.0.0.1', port: 80 },
    });
  });

  it('waits for more of a partial header, and refuses what is not one', () => {
    assert.equal(readProxyHeader(Buffer.from('PROX')).kind, 'incomplete');
    assert.equal(readProxyHeader(Buffer.from('PROXY TCP4 10.1.2.3')).kind, 'incomplete');
    assert.equal(readProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'invalid');
    assert.equal(readProxyHeader(Buffer.from(`PROXY ${'x'.repeat(120)}`)).kind, 'invalid');
    assert.equal(readProxyHeader(Buffer.from('PROXY TCP4 nope 127.0.0.1 1 2\r\n')).kind, 'invalid');
  });

  it('reads a v2 header, byte by byte', () => {
    const v2 = Buffer.from(
      new V2ProxyProtocol(
        Command.PROXY,
        TransportProtocol.STREAM,
        new IPv4ProxyAddress(
          IPv4Address.createFrom([192, 0, 2, 7]),
          4000,
          IPv4Address.createFrom([127, 0, 0, 1]),
          9000,
        ),
      ).build(),
    );
    for (let i = 1; i < v2.length; i++)
      assert.equal(readProxyHeader(v2.subarray(0, i)).kind, 'incomplete', `${i} bytes`);
    assert.deepEqual(readProxyHeader(Buffer.concat([v2, Buffer.from('x')])), {
      kind: 'header',
      length: v2.length,
      source: { ip: '192.0.2.7', port: 4000 },
      destination: { ip: '127.0.0.1', port: 9000 },
    });
  });
});
