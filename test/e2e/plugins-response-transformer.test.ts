/**
 * response-transformer end to end (Kong 3.10 spec/03-plugins/15-response-transformer): the
 * service's response headers and JSON body transformed on their way to the client.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { send } from './proxy-fixtures.ts';
import { instance, routeOn, SERVICE_ID, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const r = { headers: uid(0x70), json: uid(0x71), types: uid(0x72), text: uid(0x73), serviceWide: uid(0x74) };
const BODY = { p1: 'v1', p2: 'v2', keep: 'k', list: ['a'], nothing: null, off: false };

/** A JSON body (text/plain for `/text`), sent in two chunks, with headers h1, h2 and Vary. */
function upstream(req: IncomingMessage, res: ServerResponse): void {
  const text = req.url?.startsWith('/text') === true;
  const body = JSON.stringify(BODY);
  res.writeHead(200, {
    'content-type': text ? 'text/plain' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    h1: 'one',
    h2: 'two',
    vary: 'Accept-Encoding',
  });
  res.write(body.slice(0, 10));
  setTimeout(() => res.end(body.slice(10)), 5);
}

describe('response-transformer through the proxy', () => {
  let rig: TrafficRig;

  before(async () => {
    rig = await trafficRig(
      () => ({
        routes: [
          routeOn(r.headers, '/headers'),
          routeOn(r.json, '/json'),
          routeOn(r.types, '/types'),
          routeOn(r.text, '/text', { strip_path: false }),
          routeOn(r.serviceWide, '/service-wide'),
        ],
        plugins: [
          instance(
            'response-transformer',
            {
              remove: { headers: ['h1'] },
              rename: { headers: ['h2:h-two'] },
              replace: { headers: ['vary:Origin', 'absent:x'] },
              add: { headers: ['h-new:added', 'vary:ignored'] },
              append: { headers: ['vary:Cookie', 'h-list:first'] },
            },
            { route: r.headers },
          ),
          instance(
            'response-transformer',
            {
              remove: { json: ['p1'] },
              rename: { json: ['p2:p-two'] },
              replace: { json: ['keep:replaced', 'absent:x', 'nothing:was-null', 'off:no'] },
              add: { json: ['added:yes', 'keep:not-added', 'off:now-on'] },
              append: { json: ['list:b', 'keep:more', 'fresh:new'] },
            },
            { route: r.json },
          ),
          instance(
            'response-transformer',
            {
              add: {
                json: ['n:42', 'b:true', 's:42', 'bad:x1'],
                json_types: ['number', 'boolean', 'string', 'number'],
              },
            },
            { route: r.types },
          ),
          instance(
            'response-transformer',
            { add: { json: ['added:yes'], headers: ['x-seen:1'] } },
            { route: r.text },
          ),
          instance('response-transformer', { add: { headers: ['x-service:1'] } }, { service: SERVICE_ID }),
        ],
      }),
      { handler: upstream },
    );
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it('removes, renames, replaces, adds and appends response headers as Kong does', async () => {
    const res = await send(rig.port, '/headers');
    assert.equal(res.status, 200);
    assert.equal(res.headers.h1, undefined);
    assert.equal(res.headers.h2, undefined);
    assert.equal(res.headers['h-two'], 'two');
    assert.equal(res.headers.absent, undefined, 'replace touches only a header that is there');
    assert.equal(res.headers['h-new'], 'added');
    assert.equal(res.headers.vary, 'Origin, Cookie', 'add skips a header that is there; append adds');
    assert.equal(res.headers['h-list'], 'first');
    assert.deepEqual(JSON.parse(res.body), BODY, 'the body untouched');
    assert.equal(res.headers['content-length'], String(JSON.stringify(BODY).length));
  });

  it('transforms the JSON body, buffered whole, without the stale Content-Length', async () => {
    const res = await send(rig.port, '/json');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], undefined);
    assert.deepEqual(JSON.parse(res.body), {
      'p-two': 'v2',
      keep: ['replaced', 'more'],
      list: ['a', 'b'],
      nothing: 'was-null',
      off: 'now-on',
      added: 'yes',
      fresh: ['new'],
    });
  });

  it('casts added values with json_types; a number that is not one is not added', async () => {
    const res = await send(rig.port, '/types');
    const json = JSON.parse(res.body);
    assert.equal(json.n, 42);
    assert.equal(json.b, true);
    assert.equal(json.s, '42');
    assert.equal('bad' in json, false);
  });

  it('leaves a body that is not JSON as it is, its headers still transformed', async () => {
    const res = await send(rig.port, '/text');
    assert.deepEqual(JSON.parse(res.body), BODY);
    assert.equal(res.headers['x-seen'], '1');
    assert.equal(res.headers['content-length'], String(JSON.stringify(BODY).length));
  });

  it("applies the service's instance to its routes without their own", async () => {
    assert.equal((await send(rig.port, '/service-wide')).headers['x-service'], '1');
    assert.equal((await send(rig.port, '/json')).headers['x-service'], undefined);
  });
});
