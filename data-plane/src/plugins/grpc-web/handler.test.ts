import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { openRun, pluginEntity } from '../../plugin-chain/test-support.ts';
import { frame } from './framing.ts';
import { handler } from './handler.ts';
import { schema } from './schema.ts';

const HELLO = join(import.meta.dirname, '../../../../test/fixtures/grpc/hello.proto');
/** Kong's test vectors (spec/03-plugins/32-grpc-web): HelloRequest{greeting="heya"} and its reply. */
const REQUEST_TEXT = 'AAAAAAYKBGhleWE=';
const REPLY = Buffer.from('AAAAAAwKCmhlbGxvIGhleWE=', 'base64');
const RESPONSE_TEXT = 'AAAAAAwKCmhlbGxvIGhleWE=gAAAAB5ncnBjLXN0YXR1czowDQpncnBjLW1lc3NhZ2U6DQo=';

function entities(config: Record<string, unknown>) {
  return { plugins: [pluginEntity('grpc-web', configOf(schema, config))] };
}

async function call(
  config: Record<string, unknown>,
  request: { method?: string; path?: string; type?: string; body?: string },
) {
  const headers: [string, string][] = request.type === undefined ? [] : [['Content-Type', request.type]];
  const opened = openRun([handler], entities(config), {
    method: request.method ?? 'POST',
    path: request.path ?? '/hello.HelloService/SayHello',
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  })!;
  await opened.run.beforeProxy();
  const upstream: Record<string, string> = {};
  for (let i = 0; i < opened.upstreamHeaders.length; i += 2)
    upstream[opened.upstreamHeaders[i]!.toLowerCase()] = opened.upstreamHeaders[i + 1]!;
  return { ...opened, upstream };
}

/** The response through the header and body phases: the reply in one chunk, then the end with `trailers`. */
function respond(
  run: Awaited<ReturnType<typeof call>>['run'],
  trailers: Record<string, string>,
  head: string[] = [],
) {
  const headers = ['Content-Type', 'application/grpc', 'Content-Length', '17', ...head];
  run.header(200, headers);
  const body = Buffer.concat([run.body(REPLY, false), run.body(Buffer.alloc(0), true, trailers)]);
  return { headers, body };
}

describe('grpc-web', () => {
  it('has Kong’s defaults', () => {
    assert.deepEqual(configOf(schema, {}), {
      proto: null,
      pass_stripped_path: null,
      allow_origin_header: '*',
    });
  });

  it('answers a preflight OPTIONS itself, with its allowed origin', async () => {
    const { run } = await call({ allow_origin_header: 'https://app.test' }, { method: 'OPTIONS' });
    assert.equal(run.exit?.status, 200);
    assert.equal(run.exit?.body?.toString(), 'OK');
    const h = run.exit!.headers;
    const get = (n: string) => h[h.findIndex((x) => x.toLowerCase() === n.toLowerCase()) + 1];
    assert.equal(get('content-type'), 'application/grpc-web-text+proto');
    assert.equal(get('access-control-allow-origin'), 'https://app.test');
    assert.equal(get('access-control-allow-methods'), 'POST');
    assert.equal(get('access-control-allow-headers'), 'content-type,x-grpc-web,x-user-agent');
  });

  it('sends grpc-web-text to the service as application/grpc, and answers in base64 with the trailer frame', async () => {
    const { run, upstream } = await call({}, { type: 'application/grpc-web-text', body: REQUEST_TEXT });
    assert.equal(run.exit, undefined);
    assert.equal(upstream['content-type'], 'application/grpc');
    assert.equal(upstream.te, 'trailers');
    assert.deepEqual(run.upstreamBody, Buffer.from(REQUEST_TEXT, 'base64'));
    const { headers, body } = respond(run, { 'grpc-status': '0', 'grpc-message': '' });
    assert.equal(body.toString(), RESPONSE_TEXT);
    assert.equal(headers[headers.indexOf('Content-Type') + 1], 'application/grpc-web-text');
    assert.equal(headers.indexOf('Content-Length'), -1);
  });

  it('passes binary frames through, then the upstream status as the trailer frame', async () => {
    const raw = Buffer.from(REQUEST_TEXT, 'base64').toString('latin1');
    const { run } = await call({}, { type: 'application/grpc-web+proto', body: raw });
    const { body } = respond(run, { 'grpc-status': '5', 'grpc-message': 'not%20here' });
    const trailer = 'grpc-status:5\r\ngrpc-message:not%20here\r\n';
    assert.deepEqual(body, Buffer.concat([REPLY, frame(0x80, Buffer.from(trailer))]));
  });

  it('takes the status from the response head of a trailers-only answer', async () => {
    const { run } = await call({}, { type: 'application/grpc-web', body: '' });
    run.header(200, ['Content-Type', 'application/grpc', 'grpc-status', '12', 'grpc-message', 'nope']);
    const body = run.body(Buffer.alloc(0), true, {});
    assert.equal(body.subarray(5).toString(), 'grpc-status:12\r\ngrpc-message:nope\r\n');
  });

  it('transcodes grpc-web+json and application/json with a .proto', async () => {
    const json = Buffer.from(JSON.stringify({ greeting: 'heya' }));
    const framed = await call(
      { proto: HELLO },
      { type: 'application/grpc-web+json', body: frame(0, json).toString('latin1') },
    );
    assert.deepEqual(framed.run.upstreamBody, Buffer.from(REQUEST_TEXT, 'base64'));
    const { body } = respond(framed.run, { 'grpc-status': '0' });
    const reply = Buffer.from(JSON.stringify({ reply: 'hello heya' }));
    const trailer = Buffer.from('grpc-status:0\r\ngrpc-message:\r\n');
    assert.deepEqual(body, Buffer.concat([frame(0, reply), frame(0x80, trailer)]));

    const plain = await call({ proto: HELLO }, { type: 'application/json', body: json.toString() });
    assert.deepEqual(plain.run.upstreamBody, Buffer.from(REQUEST_TEXT, 'base64'));
    assert.deepEqual(JSON.parse(respond(plain.run, {}).body.toString()), { reply: 'hello heya' });
  });

  it('refuses to transcode without a .proto, or for a path it does not define', async () => {
    const none = await call({}, { type: 'application/grpc-web+json', body: '' });
    assert.equal(none.run.exit?.status, 400);
    assert.equal(
      none.run.exit?.body?.toString(),
      'transcoding requests require a .proto file defining the service',
    );
    const unknown = await call(
      { proto: HELLO },
      { type: 'application/json', path: '/hello.HelloService/Nope', body: '{}' },
    );
    assert.equal(unknown.run.exit?.status, 400);
    assert.equal(unknown.run.exit?.body?.toString(), 'Unknown path "/hello.HelloService/Nope"');
  });
});
