import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatListenAddress, parseListen } from './listen.ts';

const listeners = (text: string) => {
  const parsed = parseListen(text);
  if (!parsed.ok) assert.fail(parsed.reason);
  return parsed.value;
};
const reason = (text: string) => {
  const parsed = parseListen(text);
  if (parsed.ok) assert.fail(`expected ${text} to be rejected`);
  return parsed.reason;
};

describe('parseListen', () => {
  it('parses Kong’s default proxy_listen into two listeners with their flags', () => {
    assert.deepEqual(
      listeners('0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384'),
      [
        {
          host: '0.0.0.0',
          port: 8000,
          ssl: false,
          http2: false,
          reuseport: true,
          backlog: 16384,
          proxyProtocol: false,
        },
        {
          host: '0.0.0.0',
          port: 8443,
          ssl: true,
          http2: true,
          reuseport: true,
          backlog: 16384,
          proxyProtocol: false,
        },
      ],
    );
  });

  it('parses bracketed IPv6 addresses and keeps the host without brackets', () => {
    assert.deepEqual(listeners('[::1]:8001 proxy_protocol'), [
      { host: '::1', port: 8001, ssl: false, http2: false, reuseport: false, proxyProtocol: true },
    ]);
  });

  it("takes Kong's udp flag (stream_listen's; the rules refuse it elsewhere)", () => {
    assert.equal(listeners('0.0.0.0:5353 udp reuseport')[0]?.udp, true);
    assert.equal(listeners('0.0.0.0:5353')[0]?.udp, undefined);
  });

  it('reads off as no listener at all', () => {
    assert.deepEqual(listeners('off'), []);
  });

  it('accepts port 0 so tests can ask for a free port', () => {
    assert.equal(listeners('127.0.0.1:0')[0]?.port, 0);
  });

  it('accepts and ignores the nginx-only flags deferred and bind', () => {
    assert.equal(listeners('0.0.0.0:8000 deferred bind')[0]?.port, 8000);
  });

  it('rejects entries without a port, with a bad address or with an unknown flag, quoting the entry', () => {
    assert.match(reason('0.0.0.0'), /invalid entry '0.0.0.0': expected off or <ip>:<port>/);
    assert.match(reason('::1:8001'), /invalid entry '::1:8001'/);
    assert.match(reason('0.0.0.0:70000'), /invalid entry '0.0.0.0:70000'/);
    assert.match(reason('0.0.0.0:8000 sll'), /unknown flag 'sll'/);
    assert.match(reason('0.0.0.0:8000 backlog=none'), /backlog must be a positive integer/);
    assert.match(reason('off, 0.0.0.0:8000'), /off cannot be combined/);
    assert.match(reason(' , '), /expected off or <ip>:<port>/);
  });

  it('formats addresses back with brackets for IPv6', () => {
    assert.equal(formatListenAddress({ host: '::1', port: 8001 }), '[::1]:8001');
    assert.equal(formatListenAddress({ host: '0.0.0.0', port: 8000 }), '0.0.0.0:8000');
  });
});
