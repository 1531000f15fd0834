import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteConfig, ServiceConfig } from '../router/index.ts';
import { compileStreamRouter, matchStream, type StreamKey } from './router.ts';

const svc: ServiceConfig = { id: 's', protocol: 'tcp', host: '127.0.0.1', port: 9 };
const services = new Map([[svc.id, svc]]);
const key = (extra: Partial<StreamKey> = {}): StreamKey => ({
  protocol: 'tcp',
  sourceIp: '10.0.0.7',
  sourcePort: 40000,
  destinationIp: '127.0.0.1',
  destinationPort: 5555,
  sni: undefined,
  ...extra,
});
const route = (id: string, extra: Partial<RouteConfig>): RouteConfig => ({
  id,
  protocols: ['tcp'],
  service: { id: 's' },
  created_at: 1,
  ...extra,
});
const matched = (routes: RouteConfig[], k: StreamKey) =>
  matchStream(compileStreamRouter(routes, services), k)?.route.id;

describe('the stream router', () => {
  it('matches sources and destinations by address, CIDR and port', () => {
    const routes = [
      route('by-port', { destinations: [{ port: 5555 }] }),
      route('by-cidr', { sources: [{ ip: '10.0.0.0/8' }] }),
      route('v6', { sources: [{ ip: '2001:db8::/32', port: 1234 }] }),
    ];
    assert.equal(matched(routes, key()), 'by-cidr', 'sources outrank destinations');
    assert.equal(matched(routes, key({ sourceIp: '192.168.1.1' })), 'by-port');
    assert.equal(matched(routes, key({ sourceIp: '192.168.1.1', destinationPort: 1 })), undefined);
    assert.equal(
      matched(routes, key({ sourceIp: '2001:db8::5', sourcePort: 1234, destinationPort: 1 })),
      'v6',
    );
    assert.equal(
      matched(routes, key({ sourceIp: '2001:db8::5', sourcePort: 99, destinationPort: 1 })),
      undefined,
    );
  });

  it('requires every criterion a route sets, and its protocol', () => {
    const routes = [
      route('both', { sources: [{ ip: '10.0.0.7' }], destinations: [{ ip: '127.0.0.1', port: 6000 }] }),
    ];
    assert.equal(matched(routes, key()), undefined, 'the destination port differs');
    assert.equal(matched(routes, key({ destinationPort: 6000 })), 'both');
    assert.equal(matched(routes, key({ destinationPort: 6000, protocol: 'tls' })), undefined);
  });

  it('routes TLS on SNI first, then sources, then destinations, then age', () => {
    const routes = [
      route('dst', { protocols: ['tls'], destinations: [{ port: 5555 }] }),
      route('sni', { protocols: ['tls'], snis: ['a.example'] }),
      route('pass', { protocols: ['tls_passthrough'], snis: ['a.example'] }),
      route('old-dst', { protocols: ['tls'], destinations: [{ port: 5555 }], created_at: 0 }),
    ];
    assert.equal(matched(routes, key({ protocol: 'tls', sni: 'a.example' })), 'sni');
    assert.equal(matched(routes, key({ protocol: 'tls', sni: 'b.example' })), 'old-dst');
    assert.equal(matched(routes, key({ protocol: 'tls_passthrough', sni: 'a.example' })), 'pass');
    assert.equal(matched(routes, key({ protocol: 'tls_passthrough', sni: undefined })), undefined);
  });

  it('leaves out HTTP routes and the routes of disabled services', () => {
    const off: ServiceConfig = { ...svc, id: 'off', enabled: false };
    const router = compileStreamRouter(
      [
        route('http', { protocols: ['http'], paths: ['/'] }),
        route('off', { service: { id: 'off' }, sources: [{ ip: '10.0.0.7' }] }),
      ],
      new Map([...services, [off.id, off]]),
    );
    assert.equal(router.routes.length, 0);
  });
});
