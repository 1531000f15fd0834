/**
 * grpc-web end to end (Kong 3.10 spec/03-plugins/32-grpc-web): a running node configured through
 * the Admin API, a real grpc-js service (grpc-hello-fixtures.ts, grpc-fixtures.ts) behind a
 * `grpc` service, and grpc-web requests as a browser sends them — binary, base64 (`-text`) and
 * JSON (with `proto`) — over HTTP/1.1 (fetch) and HTTP/2 (h2c). The answers are decoded here:
 * the messages, then the trailer frame (flag 0x80) with the upstream's status.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import protobuf from 'protobufjs';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { echoServer } from './grpc-fixtures.ts';
import { HELLO_PROTO, HelloRequest, HelloResponse, helloServer } from './grpc-hello-fixtures.ts';

/**
 * Kong's vectors: HelloRequest{greeting="heya"}, and the reply in base64; then the trailer frame,
 * a base64 piece of its own (Kong's grpcbin says `grpc-message:` empty; grpc-js says `OK`).
 */
const HELLO_REQUEST_TEXT_BODY = 'AAAAAAYKBGhleWE=';
const HELLO_REPLY_TEXT = 'AAAAAAwKCmhlbGxvIGhleWE=';
const OK_TRAILER = 'grpc-status:0\r\ngrpc-message:OK\r\n';

function frame(flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

interface Decoded {
  readonly messages: Buffer[];
  /** The trailer frame's lines, by name. */
  readonly trailers: Record<string, string> | undefined;
}

/** A grpc-web body: its message frames and its trailer frame (the last, flag 0x80). */
function unframe(body: Buffer): Decoded {
  const messages: Buffer[] = [];
  let trailers: Record<string, string> | undefined;
  let at = 0;
  while (at + 5 <= body.length) {
    const size = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + size);
    if ((body[at]! & 0x80) !== 0) {
      assert.equal(trailers, undefined, 'one trailer frame');
      trailers = {};
      for (const line of payload.toString('latin1').split('\r\n')) {
        if (line === '') continue;
        const colon = line.indexOf(':');
        trailers[line.slice(0, colon)] = line.slice(colon + 1);
      }
    } else {
      assert.equal(trailers, undefined, 'no message after the trailer frame');
      messages.push(payload);
    }
    at += 5 + size;
  }
  assert.equal(at, body.length, 'whole frames');
  return { messages, trailers };
}

/** grpc-web-text: base64 pieces, each padded (as Kong sends one per frame). */
function fromText(text: string): Buffer {
  return Buffer.concat(
    (text.match(/[^=]*=*/g) ?? []).filter((p) => p !== '').map((p) => Buffer.from(p, 'base64')),
  );
}

const hello = (greeting: string) => frame(0, Buffer.from(HelloRequest.encode({ greeting }).finish()));
const reply = (bytes: Buffer) => HelloResponse.toObject(HelloResponse.decode(bytes));

async function post(url: string, type: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': type, ...headers }, body });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** One h2c request, as a browser on HTTP/2 sends grpc-web. */
async function h2post(port: number, path: string, type: string, body: Buffer) {
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': type });
    stream.end(body);
    const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { headers, body: Buffer.concat(chunks) };
  } finally {
    session.close();
  }
}

/** hello.HelloService as Connect wants it: the .proto's descriptors, made by protobufjs (no codegen). */
function helloService() {
  const descriptor = createRequire(import.meta.url)('protobufjs/ext/descriptor') as {
    FileDescriptorSet: { encode(m: unknown): { finish(): Uint8Array } };
  };
  const root = protobuf.loadSync(HELLO_PROTO) as protobuf.Root & { toDescriptor(syntax: string): unknown };
  const set = fromBinary(
    FileDescriptorSetSchema,
    descriptor.FileDescriptorSet.encode(root.toDescriptor('proto2')).finish(),
  );
  // protobufjs writes json_name "" (Connect would send `{"": …}`): the field's name, as protoc's default.
  for (const file of set.file)
    for (const message of file.messageType) for (const field of message.field) field.jsonName ||= field.name;
  const service = createFileRegistry(set).getService('hello.HelloService');
  assert.ok(service);
  return service;
}

describe('grpc-web through a running node', () => {
  it('carries binary, base64 and JSON grpc-web calls to a gRPC service, the status in a trailer frame', async () => {
    await using upstream = await helloServer();
    await using echo = await echoServer();
    const port = await freePort();
    await using node = await startTraditionalNode({
      env: { TURNPIKE_PROXY_LISTEN: `127.0.0.1:${port} http2` },
    });
    const { adminUrl } = node;
    const proxy = `http://127.0.0.1:${port}`;
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    await created('/services', { name: 'hello', url: `grpc://127.0.0.1:${upstream.port}` });
    // Kong's spec: http routes to a grpc service, the plugin on each.
    await created('/services/hello/routes', {
      name: 'web',
      protocols: ['http', 'https'],
      paths: ['/hello.HelloService/'],
      strip_path: false,
    });
    await created('/routes/web/plugins', { name: 'grpc-web', config: { proto: HELLO_PROTO } });
    await created('/services/hello/routes', { name: 'prefix', protocols: ['http'], paths: ['/prefix'] });
    await created('/routes/prefix/plugins', {
      name: 'grpc-web',
      config: { proto: HELLO_PROTO, pass_stripped_path: true },
    });
    await created('/services/hello/routes', {
      name: 'unstripped',
      protocols: ['http'],
      paths: ['/unstripped'],
    });
    await created('/routes/unstripped/plugins', { name: 'grpc-web', config: { proto: HELLO_PROTO } });
    await created('/services', { name: 'echo', url: `grpc://127.0.0.1:${echo.port}` });
    await created('/services/echo/routes', {
      name: 'echo',
      protocols: ['http'],
      paths: ['/test.Echo/'],
      strip_path: false,
    });
    await created('/routes/echo/plugins', {
      name: 'grpc-web',
      config: { allow_origin_header: 'https://app.example' },
    });

    // The schema: Kong's defaults filled in.
    const listed = await http('GET', `${adminUrl}/routes/echo/plugins`);
    const conf = (listed.body as { data: { config: unknown }[] }).data[0]!.config;
    assert.deepEqual(conf, {
      proto: null,
      pass_stripped_path: null,
      allow_origin_header: 'https://app.example',
    });

    // grpc-web-text over HTTP/1.1: Kong's bytes exactly.
    const text = await eventually(
      () =>
        post(`${proxy}/hello.HelloService/SayHello`, 'application/grpc-web-text', HELLO_REQUEST_TEXT_BODY),
      (r) => r.status === 200,
    );
    assert.equal(
      text.body.toString(),
      HELLO_REPLY_TEXT + frame(0x80, Buffer.from(OK_TRAILER)).toString('base64'),
    );
    assert.equal(text.headers.get('content-type'), 'application/grpc-web-text');
    assert.equal(text.headers.get('access-control-allow-origin'), '*');
    assert.equal(upstream.received.at(-1)?.request.greeting, 'heya', 'the service got the decoded message');

    // Binary (+proto), with a user-agent TE the gateway replaces by its own.
    const binary = await post(
      `${proxy}/hello.HelloService/SayHello`,
      'application/grpc-web+proto',
      hello('bin'),
      {
        TE: 'chunked',
      },
    );
    assert.equal(binary.status, 200);
    assert.equal(binary.headers.get('content-type'), 'application/grpc-web+proto');
    const b = unframe(binary.body);
    assert.deepEqual(b.messages.map(reply), [{ reply: 'hello bin' }]);
    assert.deepEqual(b.trailers, { 'grpc-status': '0', 'grpc-message': 'OK' });

    // Server streaming in base64: three messages, then the trailer frame.
    const many = await post(
      `${proxy}/hello.HelloService/LotsOfReplies`,
      'application/grpc-web-text',
      hello('you').toString('base64'),
    );
    const m = unframe(fromText(many.body.toString()));
    assert.deepEqual(
      m.messages.map((x) => reply(x).reply),
      ['hello you 1', 'hello you 2', 'hello you 3'],
    );
    assert.equal(m.trailers?.['grpc-status'], '0');

    // An error status (a trailers-only answer from grpc-js) reaches the client in the trailer frame.
    const failed = unframe(
      (await post(`${proxy}/hello.HelloService/SayHello`, 'application/grpc-web', hello('fail'))).body,
    );
    assert.deepEqual(failed.messages, []);
    assert.equal(failed.trailers?.['grpc-status'], '5');
    assert.equal(decodeURIComponent(failed.trailers?.['grpc-message'] ?? ''), 'no such greeting');

    // JSON, framed (+json) and plain, transcoded with the .proto.
    const json = Buffer.from(JSON.stringify({ greeting: 'heya' }));
    const framedJson = await post(
      `${proxy}/hello.HelloService/SayHello`,
      'application/grpc-web+json',
      frame(0, json),
    );
    assert.deepEqual(
      framedJson.body,
      Buffer.concat([
        frame(0, Buffer.from(JSON.stringify({ reply: 'hello heya' }))),
        frame(0x80, Buffer.from(OK_TRAILER)),
      ]),
    );
    const plain = await post(`${proxy}/hello.HelloService/SayHello`, 'application/json', json);
    assert.equal(plain.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(plain.body.toString()), { reply: 'hello heya' });

    // pass_stripped_path: the method is looked up by the path the service gets.
    const stripped = await post(`${proxy}/prefix/hello.HelloService/SayHello`, 'application/json', json);
    assert.deepEqual(JSON.parse(stripped.body.toString()), { reply: 'hello heya' });
    const unstripped = await post(
      `${proxy}/unstripped/hello.HelloService/SayHello`,
      'application/json',
      json,
    );
    assert.equal(unstripped.status, 400);
    assert.equal(unstripped.body.toString(), 'Unknown path "/unstripped/hello.HelloService/SayHello"');

    // JSON without a .proto: Kong's 400.
    const noProto = await post(`${proxy}/test.Echo/Unary`, 'application/grpc-web+json', frame(0, json));
    assert.equal(noProto.status, 400);
    assert.equal(noProto.body.toString(), 'transcoding requests require a .proto file defining the service');

    // Raw bytes through the proto-less echo route, and its configured allowed origin.
    const raw = await post(`${proxy}/test.Echo/Unary`, 'application/grpc-web', frame(0, Buffer.from('ping')));
    assert.equal(raw.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.deepEqual(unframe(raw.body), {
      messages: [Buffer.from('ping')],
      trailers: { 'grpc-status': '0', 'grpc-message': 'OK' },
    });

    // The preflight: answered by the gateway, the service never asked.
    const before = echo.received.length;
    const preflight = await fetch(`${proxy}/test.Echo/Unary`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 200);
    assert.equal(await preflight.text(), 'OK');
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(
      preflight.headers.get('access-control-allow-headers'),
      'content-type,x-grpc-web,x-user-agent',
    );
    assert.equal(preflight.headers.get('content-type'), 'application/grpc-web-text+proto');
    assert.equal(echo.received.length, before);

    // HTTP/2 (h2c): the same translation.
    const h2 = await h2post(
      port,
      '/hello.HelloService/SayHello',
      'application/grpc-web-text',
      Buffer.from(HELLO_REQUEST_TEXT_BODY),
    );
    assert.equal(h2.headers[':status'], 200);
    assert.equal(h2.headers['content-type'], 'application/grpc-web-text');
    assert.equal(
      h2.body.toString(),
      HELLO_REPLY_TEXT + frame(0x80, Buffer.from(OK_TRAILER)).toString('base64'),
    );
    const h2bin = await h2post(
      port,
      '/hello.HelloService/SayHello',
      'application/grpc-web+proto',
      hello('two'),
    );
    const h2b = unframe(h2bin.body);
    assert.deepEqual(h2b.messages.map(reply), [{ reply: 'hello two' }]);
    assert.equal(h2b.trailers?.['grpc-status'], '0');
  });

  it("answers a real grpc-web client (Connect's grpc-web transport), binary and JSON, HTTP/1.1 and HTTP/2", async () => {
    await using upstream = await helloServer();
    const port = await freePort();
    await using node = await startTraditionalNode({
      env: { TURNPIKE_PROXY_LISTEN: `127.0.0.1:${port} http2` },
    });
    const res = await http('POST', `${node.adminUrl}/services`, {
      name: 'hello',
      url: `grpc://127.0.0.1:${upstream.port}`,
    });
    assert.equal(res.status, 201, res.text);
    const route = await http('POST', `${node.adminUrl}/services/hello/routes`, {
      name: 'web',
      protocols: ['http'],
      paths: ['/'],
      strip_path: false,
    });
    assert.equal(route.status, 201, route.text);
    const plugin = await http('POST', `${node.adminUrl}/routes/web/plugins`, {
      name: 'grpc-web',
      config: { proto: HELLO_PROTO },
    });
    assert.equal(plugin.status, 201, plugin.text);

    const service = helloService();
    for (const httpVersion of ['1.1', '2'] as const) {
      for (const useBinaryFormat of [true, false]) {
        const label = `HTTP/${httpVersion} ${useBinaryFormat ? 'binary' : 'JSON'}`;
        const transport = createGrpcWebTransport({
          baseUrl: `http://127.0.0.1:${port}`,
          httpVersion,
          useBinaryFormat,
        });
        const client = createClient(service, transport) as unknown as {
          sayHello(m: { greeting: string }): Promise<{ reply: string }>;
          lotsOfReplies(m: { greeting: string }): AsyncIterable<{ reply: string }>;
        };
        const answer = await eventually(
          () => client.sayHello({ greeting: 'web' }).catch((err: unknown) => ({ reply: String(err) })),
          (r) => r.reply === 'hello web',
        );
        assert.equal(answer.reply, 'hello web', label);
        const replies: string[] = [];
        for await (const r of client.lotsOfReplies({ greeting: 'many' })) replies.push(r.reply);
        assert.deepEqual(replies, ['hello many 1', 'hello many 2', 'hello many 3'], label);
        await assert.rejects(client.sayHello({ greeting: 'fail' }), (err: unknown) => {
          assert.ok(err instanceof ConnectError, label);
          assert.equal(err.code, Code.NotFound, label);
          assert.equal(err.rawMessage, 'no such greeting', label);
          return true;
        });
      }
    }
  });
});
