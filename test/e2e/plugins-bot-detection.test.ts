/**
 * bot-detection end to end (Kong 3.10 spec/03-plugins/21-bot-detection): Kong's bot rules, deny
 * and allow rules, one User-Agent only; on a route and on a service.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { send } from './proxy-fixtures.ts';
import { instance, routeOn, SERVICE_ID, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36';
const GOOGLEBOT = 'Googlebot/2.1 (+http://www.google.com/bot.html)';
const FACEBOOK = 'facebookexternalhit/1.1';
const r = { defaults: uid(0x60), deny: uid(0x61), allow: uid(0x62), serviceWide: uid(0x63) };

describe('bot-detection through the proxy', () => {
  let rig: TrafficRig;
  const as = (path: string, agent?: string | string[]) =>
    send(rig.port, path, agent === undefined ? {} : { 'user-agent': agent });

  before(async () => {
    rig = await trafficRig(() => ({
      routes: [
        routeOn(r.defaults, '/defaults'),
        routeOn(r.deny, '/deny'),
        routeOn(r.allow, '/allow'),
        routeOn(r.serviceWide, '/service-wide'),
      ],
      plugins: [
        instance('bot-detection', {}, { route: r.defaults }),
        instance('bot-detection', { deny: ['HelloWorld'] }, { route: r.deny }),
        instance('bot-detection', { allow: ['facebookexternalhit/\\d'] }, { route: r.allow }),
        instance('bot-detection', { deny: ['^curl/'] }, { service: SERVICE_ID }),
      ],
    }));
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it('lets browsers, curl and requests without a User-Agent through', async () => {
    assert.equal((await as('/defaults')).status, 200);
    assert.equal((await as('/defaults', CHROME)).status, 200);
    assert.equal((await as('/defaults', 'HelloWorld')).status, 200);
    assert.equal((await as('/defaults', 'curl/7.43.0')).status, 200);
  });

  it("refuses what Kong's bot rules match with 403 Forbidden, never calling the service", async () => {
    const before = rig.upstream.received.length;
    const res = await as('/defaults', GOOGLEBOT);
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { message: 'Forbidden' });
    assert.equal((await as('/defaults', FACEBOOK)).status, 403);
    assert.equal((await as('/defaults', 'Go-http-client/1.1')).status, 403);
    assert.equal(rig.upstream.received.length, before);
  });

  it('refuses what a deny rule matches', async () => {
    assert.equal((await as('/deny', 'HelloWorld')).status, 403);
    assert.equal((await as('/deny', CHROME)).status, 200);
  });

  it('lets through what an allow rule matches, bot or not', async () => {
    assert.equal((await as('/allow', FACEBOOK)).status, 200);
    assert.equal((await as('/allow', GOOGLEBOT)).status, 403);
  });

  it("refuses two User-Agent headers with Kong's 400", async () => {
    const res = await as('/defaults', [CHROME, 'other']);
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), { message: 'Only one User-Agent header allowed' });
  });

  it("applies the service's instance to its routes without their own", async () => {
    assert.equal((await as('/service-wide', 'curl/8.0')).status, 403);
    assert.equal((await as('/service-wide', CHROME)).status, 200);
    assert.equal((await as('/defaults', 'curl/8.0')).status, 200);
  });
});
