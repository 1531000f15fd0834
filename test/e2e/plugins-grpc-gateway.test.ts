/**
 * grpc-gateway end to end (Kong 3.10 spec/03-plugins/28-grpc-gateway): a running node configured
 * through the Admin API, Kong's target service (`targetservice.Bouncer`, in grpc-js) behind a
 * `grpc` service, and curl-style REST/JSON requests mapped by the .proto's `google.api.http`
 * bindings: path variables, query arguments (nested, booleans), JSON bodies, Timestamps, the
 * grpc-status of an error as the HTTP status, and Kong's 400s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { bouncerServer, TARGET_PROTO } from './grpc-hello-fixtures.ts';

async function call(method: string, url: string, body?: string) {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'Content-Type': 'application/json' } }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('grpc-gateway through a running node', () => {
  it("maps REST and JSON onto the service's unary methods, as Kong's spec", async () => {
    await using upstream = await bouncerServer();
    await using node = await startTraditionalNode();
    const { adminUrl, proxyUrl } = node;
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    await created('/services', { name: 'grpc', protocol: 'grpc', host: '127.0.0.1', port: upstream.port });
    await created('/services/grpc/routes', { name: 'rest', protocols: ['http', 'https'], paths: ['/'] });
    await created('/routes/rest/plugins', { name: 'grpc-gateway', config: { proto: TARGET_PROTO } });
    const listed = await http('GET', `${adminUrl}/routes/rest/plugins`);
    assert.deepEqual((listed.body as { data: { config: unknown }[] }).data[0]!.config, {
      proto: TARGET_PROTO,
    });

    // main entrypoint: the path variable; the defaults of the answer included (boolean_test).
    const main = await eventually(
      () => call('GET', `${proxyUrl}/v1/messages/john_doe`),
      (r) => r.status === 200,
    );
    assert.deepEqual(JSON.parse(main.text), { reply: 'hello john_doe', boolean_test: false });
    assert.equal(main.headers.get('content-type'), 'application/json');
    assert.equal(main.headers.get('access-control-allow-origin'), '*');
    assert.equal(upstream.received.at(-1)?.te, undefined, 'TE is a connection header, not metadata');

    // additional binding; unbound query arguments dropped where the rule maps the body.
    const legacy = await call('GET', `${proxyUrl}/v1/messages/legacy/john_doe`);
    assert.deepEqual(JSON.parse(legacy.text), { reply: 'hello john_doe', boolean_test: false });
    const unbound = await call('GET', `${proxyUrl}/v1/messages/john_doe?arg1=1&arg2.test=2`);
    assert.deepEqual(JSON.parse(unbound.text), { reply: 'hello john_doe', boolean_test: false });

    // boolean query arguments: "true" and "1" are true, "false" and "0" false.
    for (const [arg, expected] of [
      ['true', true],
      ['false', false],
      ['0', false],
      ['1', true],
    ] as const) {
      const r = await call('GET', `${proxyUrl}/v1/messages/legacy/john_doe?boolean_test=${arg}`);
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.text), { reply: 'hello john_doe', boolean_test: expected }, arg);
    }

    // unknown path: Kong's 400.
    const unknown = await call('GET', `${proxyUrl}/v1/messages/john_doe/bai`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.text, 'failed to transcode .proto file Unknown path "/v1/messages/john_doe/bai"');
    const verb = await call('PUT', `${proxyUrl}/v1/messages/john_doe`);
    assert.equal(verb.status, 400);
    assert.equal(verb.text, 'failed to transcode .proto file Unknown method "put"');

    // grpc-status 12 UNIMPLEMENTED (a trailers-only answer) becomes HTTP 500, the status kept.
    const unimplemented = await call('GET', `${proxyUrl}/v1/unknown/john_doe`);
    assert.equal(unimplemented.status, 500);
    assert.equal(unimplemented.headers.get('grpc-status'), '12');

    // Timestamps: Kong's ISO strings both ways.
    const now = Math.floor(Date.now() / 1000);
    const iso = (s: number) => new Date(s * 1000).toISOString().slice(0, 19);
    const bounce = await call(
      'POST',
      `${proxyUrl}/bounce`,
      JSON.stringify({ message: 'hi', when: `${iso(now - 315)}Z`, now: iso(now) }),
    );
    assert.equal(bounce.status, 200, bounce.text);
    assert.deepEqual(JSON.parse(bounce.text), {
      now: iso(now),
      reply: 'hello hi',
      time_message: `${iso(now - 315)}Z was 5m15s ago`,
    });

    // structured query arguments into nested messages, numbers from strings.
    const q = new URLSearchParams({
      name: 'lizard',
      'hands.count': '0',
      'hands.endings': 'fingers',
      'legs.count': '4',
      'legs.endings': 'toes',
      'tail.count': '0',
      'tail.endings': 'tip',
    });
    const grown = await call('GET', `${proxyUrl}/v1/grow/tail?${q}`);
    assert.equal(grown.status, 200, grown.text);
    assert.deepEqual(JSON.parse(grown.text), {
      name: 'lizard',
      hands: { count: 0, endings: 'fingers' },
      legs: { count: 4, endings: 'toes' },
      tail: { count: 1, endings: 'tip' },
    });

    // Kong's refusals of a body it cannot encode.
    const nullJson = await call('POST', `${proxyUrl}/bounce`, JSON.stringify({ message: null }));
    assert.equal(nullJson.status, 400);
    assert.equal(nullJson.text, 'failed to encode payload');
    const invalid = await call('POST', `${proxyUrl}/bounce`, '{"message":"invalid}');
    assert.equal(invalid.status, 400);
    assert.match(invalid.text, /^decode json err: /);
    const mismatch = await call('POST', `${proxyUrl}/bounce`, '{"message":1}');
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.text, 'failed to encode payload');

    // regressions #10801 and #10802: empty lists stay arrays, an empty string stays.
    for (const body of [
      { array: [], nullable: 'ahaha' },
      { array: [], nullable: '' },
    ]) {
      const echo = await call('POST', `${proxyUrl}/v1/echo`, JSON.stringify(body));
      assert.equal(echo.status, 200);
      assert.deepEqual(JSON.parse(echo.text), body);
      assert.ok(echo.text.includes('[]'));
    }

    // The preflight is answered here.
    const preflight = await call('OPTIONS', `${proxyUrl}/v1/echo`);
    assert.equal(preflight.status, 200);
    assert.equal(preflight.text, 'OK');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET,POST,PATCH,DELETE');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');
  });
});
