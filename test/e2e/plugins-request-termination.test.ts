/**
 * request-termination end to end (Kong 3.10 spec/03-plugins/14-request-termination): statuses
 * and messages, raw bodies, echo and trigger; scoped to a route, a service and a consumer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { send } from './proxy-fixtures.ts';
import { instance, routeOn, SERVICE_ID, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const OTHER_SERVICE = uid(2);
const alice = uid(0xc1);
const bob = uid(0xc2);
const r = {
  plain: uid(0x30),
  notFound: uid(0x31),
  message: uid(0x32),
  body: uid(0x33),
  echo: uid(0x34),
  trigger: uid(0x35),
  consumer: uid(0x36),
  serviceWide: uid(0x37),
  teapot: uid(0x38),
};

describe('request-termination through the proxy', () => {
  let rig: TrafficRig;

  before(async () => {
    rig = await trafficRig((port) => ({
      services: [{ id: OTHER_SERVICE, protocol: 'http', host: '127.0.0.1', port }],
      routes: [
        routeOn(r.plain, '/plain'),
        routeOn(r.notFound, '/not-found'),
        routeOn(r.message, '/message'),
        routeOn(r.body, '/body'),
        routeOn(r.echo, '~/echo/(?<parameter>[a-z]+)/200$', { hosts: ['echo.test'] }),
        routeOn(r.trigger, '/trigger'),
        routeOn(r.consumer, '/consumer'),
        routeOn(r.teapot, '/teapot'),
        { id: r.serviceWide, paths: ['/service-wide'], service: { id: OTHER_SERVICE } },
      ],
      consumers: [
        { id: alice, username: 'alice' },
        { id: bob, username: 'bob' },
      ],
      keyauth_credentials: [
        { id: uid(0xd1), key: 'alice-key', consumer: { id: alice } },
        { id: uid(0xd2), key: 'bob-key', consumer: { id: bob } },
      ],
      plugins: [
        instance('request-termination', {}, { route: r.plain }),
        instance('request-termination', { status_code: 404 }, { route: r.notFound }),
        instance('request-termination', { status_code: 406, message: 'Invalid' }, { route: r.message }),
        instance(
          'request-termination',
          { status_code: 503, body: '<html>Service is down</html>', content_type: 'text/html' },
          { route: r.body },
        ),
        instance('request-termination', { status_code: 404, echo: true }, { route: r.echo }),
        instance(
          'request-termination',
          { status_code: 404, echo: true, trigger: 'gimme-an-echo' },
          { route: r.trigger },
        ),
        instance('key-auth', {}, { route: r.consumer }),
        instance('request-termination', { status_code: 403, message: 'not you' }, { consumer: alice }),
        instance('request-termination', { status_code: 418 }, { route: r.teapot }),
        instance('request-termination', { status_code: 410, message: 'gone' }, { service: OTHER_SERVICE }),
      ],
    }));
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it("answers 503 with Kong's default message, never calling the service", async () => {
    const before = rig.upstream.received.length;
    const res = await send(rig.port, '/plain');
    assert.equal(res.status, 503);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(res.body), { message: 'Service unavailable' });
    assert.equal(rig.upstream.received.length, before);
  });

  it("gives each status Kong's default message, and none for a status without one", async () => {
    assert.deepEqual(JSON.parse((await send(rig.port, '/not-found')).body), { message: 'Not found' });
    const teapot = await send(rig.port, '/teapot');
    assert.equal(teapot.status, 418);
    assert.equal(teapot.body, '');
    assert.equal(teapot.headers['content-length'], '0');
  });

  it('answers the configured status and message', async () => {
    const res = await send(rig.port, '/message');
    assert.equal(res.status, 406);
    assert.deepEqual(JSON.parse(res.body), { message: 'Invalid' });
  });

  it('answers a raw body with its content type', async () => {
    const res = await send(rig.port, '/body');
    assert.equal(res.status, 503);
    assert.equal(res.headers['content-type'], 'text/html');
    assert.equal(res.body, '<html>Service is down</html>');
  });

  it('echoes the request: headers, query, body, captures and the matched route and service', async () => {
    const res = await send(
      rig.port,
      '/echo/status/200?hello=there',
      { host: 'echo.test', 'content-type': 'application/json' },
      'POST',
      '{"cool":"body"}',
    );
    assert.equal(res.status, 404);
    const json = JSON.parse(res.body);
    assert.equal(json.message, 'Not found');
    assert.equal(json.kong.worker_pid, process.pid);
    assert.equal(json.matched_route.id, r.echo);
    assert.deepEqual(json.matched_route.hosts, ['echo.test']);
    assert.equal(json.matched_service.id, SERVICE_ID);
    assert.deepEqual(json.request, {
      scheme: 'http',
      host: 'echo.test',
      port: rig.port,
      headers: {
        host: 'echo.test',
        'content-type': 'application/json',
        'content-length': '15',
        connection: 'close',
      },
      query: { hello: 'there' },
      body: { cool: 'body' },
      raw_body: '{"cool":"body"}',
      method: 'POST',
      path: '/echo/status/200',
      uri_captures: { named: { parameter: 'status' }, unnamed: ['status'] },
    });
  });

  it('passes a request without the trigger, and echoes one with it in a header or the query', async () => {
    const before = rig.upstream.received.length;
    assert.equal((await send(rig.port, '/trigger')).status, 200);
    assert.equal(rig.upstream.received.length, before + 1);
    const byHeader = await send(rig.port, '/trigger', { 'gimme-an-echo': 'anything' });
    assert.equal(byHeader.status, 404);
    assert.equal(JSON.parse(byHeader.body).request.headers['gimme-an-echo'], 'anything');
    const byQuery = await send(rig.port, '/trigger?gimme-an-echo=1');
    assert.equal(byQuery.status, 404);
    assert.deepEqual(JSON.parse(byQuery.body).request.query, { 'gimme-an-echo': '1' });
  });

  it('terminates only the consumer it is configured for', async () => {
    const res = await send(rig.port, '/consumer', { apikey: 'alice-key' });
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.body), { message: 'not you' });
    assert.equal((await send(rig.port, '/consumer', { apikey: 'bob-key' })).status, 200);
  });

  it("terminates every route of the service it is configured on, and no other service's", async () => {
    const res = await send(rig.port, '/service-wide');
    assert.equal(res.status, 410);
    assert.deepEqual(JSON.parse(res.body), { message: 'gone' });
    assert.equal((await send(rig.port, '/consumer', { apikey: 'bob-key' })).status, 200);
  });
});
