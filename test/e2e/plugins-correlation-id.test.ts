/**
 * correlation-id end to end (Kong 3.10 spec/03-plugins/11-correlation-id): each generator, the
 * client's own id kept, echo_downstream on proxied responses and on another plugin's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SimpleResponse, send } from './proxy-fixtures.ts';
import { instance, routeOn, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const r = {
  counter: uid(0x50),
  uuid: uid(0x51),
  tracker: uid(0x52),
  echo: uid(0x53),
  custom: uid(0x54),
  exited: uid(0x55),
};

/** The correlation header the service received (the echo upstream's JSON). */
function upstreamId(res: SimpleResponse, name = 'kong-request-id'): string {
  return JSON.parse(res.body).headers[name];
}

describe('correlation-id through the proxy', () => {
  let rig: TrafficRig;

  before(async () => {
    rig = await trafficRig(() => ({
      routes: [
        routeOn(r.counter, '/counter'),
        routeOn(r.uuid, '/uuid'),
        routeOn(r.tracker, '/tracker'),
        routeOn(r.echo, '/echo'),
        routeOn(r.custom, '/custom'),
        routeOn(r.exited, '/exited'),
      ],
      plugins: [
        instance('correlation-id', {}, { route: r.counter }),
        instance('correlation-id', { generator: 'uuid' }, { route: r.uuid }),
        instance('correlation-id', { generator: 'tracker' }, { route: r.tracker }),
        instance('correlation-id', { generator: 'uuid', echo_downstream: true }, { route: r.echo }),
        instance('correlation-id', { header_name: 'Foo-Bar-Id', generator: 'uuid' }, { route: r.custom }),
        instance('correlation-id', { generator: 'uuid', echo_downstream: true }, { route: r.exited }),
        instance('request-termination', { status_code: 418 }, { route: r.exited }),
      ],
    }));
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it("gives the service a uuid#counter id by default, the worker's uuid with a counter that goes up", async () => {
    const first = upstreamId(await send(rig.port, '/counter'));
    const second = upstreamId(await send(rig.port, '/counter'));
    const pattern = new RegExp(`^(${UUID})#(\\d+)$`);
    const [, uuid1, n1] = pattern.exec(first) ?? [];
    const [, uuid2, n2] = pattern.exec(second) ?? [];
    assert.ok(uuid1 !== undefined && uuid1 === uuid2, `${first} ${second}`);
    assert.equal(Number(n2), Number(n1) + 1);
  });

  it('generates a new uuid for every request', async () => {
    const a = upstreamId(await send(rig.port, '/uuid'));
    const b = upstreamId(await send(rig.port, '/uuid'));
    assert.match(a, new RegExp(`^${UUID}$`));
    assert.notEqual(a, b);
  });

  it('generates a tracker id: address, port, pid, connection, its request number, time', async () => {
    const id = upstreamId(await send(rig.port, '/tracker'));
    const m = /^(\d+\.\d+\.\d+\.\d+)-(\d+)-(\d+)-(\d+)-(\d+)-(\d{10}\.\d{3})$/.exec(id);
    assert.ok(m !== null, id);
    assert.equal(m[1], '127.0.0.1');
    assert.equal(Number(m[2]), rig.port);
    assert.equal(Number(m[3]), process.pid);
    assert.equal(Number(m[5]), 1, 'a new connection: its first request');
    assert.ok(Math.abs(Number(m[6]) - Date.now() / 1000) < 60);
    assert.notEqual(upstreamId(await send(rig.port, '/tracker')), id);
  });

  it("keeps the client's own non-empty id, and replaces an empty or blank one", async () => {
    assert.equal(upstreamId(await send(rig.port, '/uuid', { 'kong-request-id': 'foobar' })), 'foobar');
    assert.match(
      upstreamId(await send(rig.port, '/uuid', { 'kong-request-id': '' })),
      new RegExp(`^${UUID}$`),
    );
    assert.match(
      upstreamId(await send(rig.port, '/uuid', { 'kong-request-id': ' ' })),
      new RegExp(`^${UUID}$`),
    );
  });

  it('sends the id back to the client with echo_downstream only', async () => {
    const res = await send(rig.port, '/echo');
    assert.equal(res.headers['kong-request-id'], upstreamId(res));
    assert.equal((await send(rig.port, '/uuid')).headers['kong-request-id'], undefined);
    assert.equal(
      (await send(rig.port, '/echo', { 'kong-request-id': 'mine' })).headers['kong-request-id'],
      'mine',
    );
  });

  it('uses the configured header name', async () => {
    const res = await send(rig.port, '/custom');
    assert.match(upstreamId(res, 'foo-bar-id'), new RegExp(`^${UUID}$`));
    assert.equal(JSON.parse(res.body).headers['kong-request-id'], undefined);
  });

  it("echoes an id on another plugin's response too", async () => {
    const res = await send(rig.port, '/exited');
    assert.equal(res.status, 418);
    assert.match(String(res.headers['kong-request-id']), new RegExp(`^${UUID}$`));
    const own = await send(rig.port, '/exited', { 'kong-request-id': 'my very personal id' });
    assert.equal(own.headers['kong-request-id'], 'my very personal id');
  });
});
