/**
 * ip-restriction end to end (Kong 3.10 spec/03-plugins/17-ip-restriction): entities through the
 * DAO and the sync path, traffic over loopback with the client named by X-Real-IP (trusted).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { send } from './proxy-fixtures.ts';
import { instance, routeOn, SERVICE_ID, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const r = {
  deny: uid(0x10),
  allow: uid(0x11),
  cidr: uid(0x12),
  both: uid(0x13),
  v6: uid(0x14),
  custom: uid(0x15),
  peer: uid(0x16),
  serviceWide: uid(0x17),
};

describe('ip-restriction through the proxy', () => {
  let rig: TrafficRig;
  const from = (ip: string, path: string) => send(rig.port, path, { 'x-real-ip': ip });

  before(async () => {
    rig = await trafficRig(() => ({
      routes: [
        routeOn(r.deny, '/deny'),
        routeOn(r.allow, '/allow'),
        routeOn(r.cidr, '/cidr'),
        routeOn(r.both, '/both'),
        routeOn(r.v6, '/v6'),
        routeOn(r.custom, '/custom'),
        routeOn(r.peer, '/peer'),
        routeOn(r.serviceWide, '/service-wide'),
      ],
      plugins: [
        instance('ip-restriction', { deny: ['10.0.0.1'] }, { route: r.deny }),
        instance('ip-restriction', { allow: ['10.0.0.2'] }, { route: r.allow }),
        instance('ip-restriction', { deny: ['10.0.0.0/24'] }, { route: r.cidr }),
        instance('ip-restriction', { allow: ['10.0.0.0/24'], deny: ['10.0.0.5'] }, { route: r.both }),
        instance('ip-restriction', { allow: ['2001:db8::/32', '::1'] }, { route: r.v6 }),
        instance(
          'ip-restriction',
          { deny: ['10.0.0.1'], status: 401, message: 'Forbidden here' },
          { route: r.custom },
        ),
        instance('ip-restriction', { deny: ['127.0.0.1'] }, { route: r.peer }),
        // Service-wide, and a route's own instance takes its place on that route (Kong's precedence).
        instance('ip-restriction', { deny: ['10.9.9.9'] }, { service: SERVICE_ID }),
      ],
    }));
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it("refuses a denied address with Kong's 403 and message, without calling the service", async () => {
    const before = rig.upstream.received.length;
    const res = await from('10.0.0.1', '/deny');
    assert.equal(res.status, 403);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(res.body), { message: 'IP address not allowed: 10.0.0.1' });
    assert.equal(rig.upstream.received.length, before);
    assert.equal((await from('10.0.0.2', '/deny')).status, 200);
  });

  it('lets only allowed addresses through when allow is set', async () => {
    assert.equal((await from('10.0.0.2', '/allow')).status, 200);
    const res = await from('10.0.0.3', '/allow');
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { message: 'IP address not allowed: 10.0.0.3' });
  });

  it('matches CIDR ranges, and deny wins over allow', async () => {
    assert.equal((await from('10.0.0.200', '/cidr')).status, 403);
    assert.equal((await from('10.0.1.1', '/cidr')).status, 200);
    assert.equal((await from('10.0.0.4', '/both')).status, 200);
    assert.equal((await from('10.0.0.5', '/both')).status, 403);
    assert.equal((await from('10.0.1.4', '/both')).status, 403);
  });

  it('matches IPv6 addresses and ranges; an IPv4 client is not in an IPv6 list', async () => {
    assert.equal((await from('2001:db8::5', '/v6')).status, 200);
    assert.equal((await from('::1', '/v6')).status, 200);
    const res = await from('2001:db9::5', '/v6');
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { message: 'IP address not allowed: 2001:db9::5' });
    assert.equal((await from('10.0.0.1', '/v6')).status, 403);
  });

  it('answers with the configured status and message', async () => {
    const res = await from('10.0.0.1', '/custom');
    assert.equal(res.status, 401);
    assert.deepEqual(JSON.parse(res.body), { message: 'Forbidden here' });
  });

  it("checks the connection's own address when no trusted header names another", async () => {
    const res = await send(rig.port, '/peer');
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { message: 'IP address not allowed: 127.0.0.1' });
  });

  it("applies a service's instance to its routes that have none of their own", async () => {
    assert.equal((await from('10.9.9.9', '/service-wide')).status, 403);
    assert.equal((await from('10.9.9.8', '/service-wide')).status, 200);
    // /deny has its own instance: the service's deny list does not apply there.
    assert.equal((await from('10.9.9.9', '/deny')).status, 200);
  });
});
