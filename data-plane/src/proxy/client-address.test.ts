import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTrustedIps, isTrusted, realClientAddress } from './client-address.ts';

describe('trusted_ips', () => {
  it('trusts addresses and CIDR blocks, IPv4 and IPv6', () => {
    const list = compileTrustedIps(['10.0.0.0/8', '192.168.1.1', '::1']);
    assert.equal(isTrusted(list, '10.2.3.4'), true);
    assert.equal(isTrusted(list, '192.168.1.1'), true);
    assert.equal(isTrusted(list, '192.168.1.2'), false);
    assert.equal(isTrusted(list, '::1'), true);
  });

  it('trusts nobody when empty', () => {
    assert.equal(isTrusted(compileTrustedIps([]), '127.0.0.1'), false);
  });
});

describe('realClientAddress', () => {
  const list = compileTrustedIps(['10.0.0.0/8']);
  it('is the peer when the peer is not trusted', () => {
    assert.equal(
      realClientAddress({ address: '1.2.3.4', trusted: false }, '9.9.9.9', list, false),
      '1.2.3.4',
    );
  });

  it('is the last address of the header when the peer is trusted', () => {
    assert.equal(
      realClientAddress({ address: '10.0.0.1', trusted: true }, '8.8.8.8, 9.9.9.9', list, false),
      '9.9.9.9',
    );
  });

  it('skips trusted addresses from the end with real_ip_recursive', () => {
    assert.equal(
      realClientAddress({ address: '10.0.0.1', trusted: true }, '8.8.8.8, 10.1.1.1', list, true),
      '8.8.8.8',
    );
  });
});
