/**
 * request-size-limiting end to end (Kong 3.10 spec/03-plugins/12-request-size-limiting): bodies
 * by Content-Length and chunked, each size unit, Expect: 100-continue, require_content_length.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { send } from './proxy-fixtures.ts';
import { instance, routeOn, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const r = { bytes: uid(0x40), kilobytes: uid(0x41), megabytes: uid(0x42), required: uid(0x43) };
const EXCEEDED = { message: 'Request size limit exceeded' };

describe('request-size-limiting through the proxy', () => {
  let rig: TrafficRig;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    send(rig.port, path, headers, 'POST', body);

  before(async () => {
    rig = await trafficRig(() => ({
      routes: [
        routeOn(r.bytes, '/bytes'),
        routeOn(r.kilobytes, '/kilobytes'),
        routeOn(r.megabytes, '/megabytes'),
        routeOn(r.required, '/required'),
      ],
      plugins: [
        instance(
          'request-size-limiting',
          { allowed_payload_size: 10, size_unit: 'bytes' },
          { route: r.bytes },
        ),
        instance(
          'request-size-limiting',
          { allowed_payload_size: 1, size_unit: 'kilobytes' },
          { route: r.kilobytes },
        ),
        instance('request-size-limiting', { allowed_payload_size: 1 }, { route: r.megabytes }),
        instance('request-size-limiting', { require_content_length: true }, { route: r.required }),
      ],
    }));
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it('lets a body within the limit through, whole', async () => {
    const res = await post('/bytes', '0123456789');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).body, '0123456789');
  });

  it("refuses a larger body with Kong's 413, never calling the service", async () => {
    const before = rig.upstream.received.length;
    const res = await post('/bytes', '0123456789a');
    assert.equal(res.status, 413);
    assert.deepEqual(JSON.parse(res.body), EXCEEDED);
    assert.equal(rig.upstream.received.length, before);
  });

  it('answers 417 instead when the client expects 100-continue', async () => {
    const res = await post('/bytes', '0123456789a', { expect: '100-continue' });
    assert.equal(res.status, 417);
    assert.deepEqual(JSON.parse(res.body), EXCEEDED);
    assert.equal((await post('/bytes', 'small', { expect: '100-continue' })).status, 200);
  });

  it('reads a chunked body whole to judge it', async () => {
    const chunked = { 'transfer-encoding': 'chunked' };
    const ok = await post('/bytes', '0123456789', chunked);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).body, '0123456789');
    const res = await post('/bytes', 'x'.repeat(11), chunked);
    assert.equal(res.status, 413);
    assert.deepEqual(JSON.parse(res.body), EXCEEDED);
  });

  it('counts kilobytes and megabytes as 1024 and 1048576 bytes', async () => {
    assert.equal((await post('/kilobytes', 'x'.repeat(1024))).status, 200);
    assert.equal((await post('/kilobytes', 'x'.repeat(1025))).status, 413);
    assert.equal((await post('/megabytes', 'x'.repeat(1048576))).status, 200);
    assert.equal((await post('/megabytes', 'x'.repeat(1048577))).status, 413);
  });

  it('requires a Content-Length when asked, a chunked body excepted', async () => {
    const res = await send(rig.port, '/required');
    assert.equal(res.status, 411);
    assert.deepEqual(JSON.parse(res.body), { message: 'A valid Content-Length header is required' });
    assert.equal((await post('/required', 'abc')).status, 200);
    assert.equal((await post('/required', 'abc', { 'transfer-encoding': 'chunked' })).status, 200);
  });
});
