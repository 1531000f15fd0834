/**
 * gRPC through a running node, configured through the Admin API: a real grpc-js server and client
 * (grpc-fixtures.ts) on an h2c listener (`proxy_listen = … http2` without ssl), the four call
 * shapes, metadata and trailers both ways, upstream statuses passed through, Kong's gRPC answers
 * when the gateway answers itself (no route, plugins, timeouts, an unreachable service), and Kong's
 * protocol checks on gRPC routes (HTTP/1 → 426, not gRPC → 415, grpc on a grpcs-only route).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { issueCertificate, makeAuthority } from '../helpers/pki.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { bidiPingPong, clientStream, echoClient, echoServer, serverStream, unary } from './grpc-fixtures.ts';
import { closedPort } from './proxy-fixtures.ts';

interface H2Answer {
  readonly headers: IncomingHttpHeaders;
  readonly trailers: IncomingHttpHeaders | undefined;
  readonly body: string;
}

/** One raw HTTP/2 (h2c) request, for what a grpc-js client hides: HTTP status, trailers, bodies. */
async function h2c(port: number, headers: Record<string, string>, body?: Buffer): Promise<H2Answer> {
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ':method': 'POST', ...headers }, { endStream: body === undefined });
    if (body !== undefined) stream.end(body);
    let trailers: IncomingHttpHeaders | undefined;
    stream.on('trailers', (t) => {
      trailers = t;
    });
    const [responseHeaders] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    let text = '';
    stream.setEncoding('utf8');
    for await (const chunk of stream) text += chunk;
    return { headers: responseHeaders, trailers, body: text };
  } finally {
    session.close();
  }
}

/** A gRPC message frame: uncompressed, 4-byte length, the bytes. */
function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

describe('gRPC through a running node', () => {
  it('proxies the four call shapes with metadata and trailers, and answers in gRPC when it answers itself', async () => {
    await using upstream = await echoServer();
    await using httpUpstream = await startEchoUpstream('plain');
    const port = await freePort();
    await using node = await startTraditionalNode({
      env: { TURNPIKE_PROXY_LISTEN: `127.0.0.1:${port} http2` },
    });
    const { adminUrl } = node;

    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    await created('/services', { name: 'echo', url: `grpc://127.0.0.1:${upstream.port}` });
    await created('/services/echo/routes', { name: 'echo', protocols: ['grpc'], paths: ['/test.Echo/'] });
    await created('/services', { name: 'gone', url: `grpc://127.0.0.1:${await closedPort()}` });
    await created('/services/gone/routes', { name: 'gone', protocols: ['grpc'], paths: ['/gone.Service/'] });
    await created('/services', { name: 'slow', url: `grpc://127.0.0.1:${upstream.port}`, read_timeout: 300 });
    await created('/services/slow/routes', { name: 'slow', protocols: ['grpc'], hosts: ['slow.test'] });
    await created('/services', { name: 'tls-only', url: `grpc://127.0.0.1:${upstream.port}` });
    await created('/services/tls-only/routes', {
      name: 'tls-only',
      protocols: ['grpcs'],
      hosts: ['tls.test'],
    });
    await created('/services', { name: 'plain', url: httpUpstream.url });
    await created('/services/plain/routes', { name: 'plain', paths: ['/plain'] });

    const client = echoClient(`127.0.0.1:${port}`);
    try {
      // Unary, once the route is served: the bytes, the head metadata and the trailers come back.
      const metadata = new Metadata();
      metadata.set('x-echo', 'hello');
      const first = await eventually(
        () => unary(client, 'Unary', Buffer.from('ping'), { metadata }),
        (r) => r.error === null,
      );
      assert.equal(first.value?.toString(), 'ping');
      assert.deepEqual(first.headers?.get('x-echo'), ['hello'], 'response head metadata passes');
      assert.deepEqual(first.trailers?.get('x-trailer'), ['done'], 'trailers pass');
      assert.ok(first.headers?.get('x-kong-request-id')[0], 'Kong headers are added');
      const seen = upstream.received.at(-1)!;
      assert.deepEqual(seen.get('x-echo'), ['hello'], 'request metadata reaches the service');
      assert.deepEqual(seen.get('x-forwarded-proto'), ['http']);

      // Server streaming, client streaming, and a bidirectional ping-pong.
      const many = await serverStream(client, Buffer.from([3, 1, 2]));
      assert.equal(many.error, null);
      assert.deepEqual(
        many.value?.map((b) => [...b]),
        [
          [3, 1, 2],
          [3, 1, 2],
          [3, 1, 2],
        ],
      );
      const joined = await clientStream(
        client,
        ['a', 'b', 'c'].map((s) => Buffer.from(s)),
      );
      assert.equal(joined.error, null);
      assert.equal(joined.value?.toString(), 'abc');
      // A body far past the HTTP/2 stream's buffers (3 MB in 48 messages): every byte arrives.
      const parts = Array.from({ length: 48 }, (_, i) => Buffer.alloc(64 * 1024, i));
      const big = await clientStream(client, parts);
      assert.equal(big.error, null);
      assert.ok(big.value?.equals(Buffer.concat(parts)), 'the whole client stream reaches the service');
      const pingPong = await bidiPingPong(
        client,
        ['one', 'two', 'three'].map((s) => Buffer.from(s)),
      );
      assert.equal(pingPong.error, null, 'both directions flow at once');
      assert.deepEqual(
        pingPong.value?.map((b) => b.toString()),
        ['one', 'two', 'three'],
      );

      // The service's own status passes through.
      const failed = await unary(client, 'Fail', Buffer.from('x'));
      assert.equal(failed.error?.code, status.NOT_FOUND);
      assert.equal(failed.error?.details, 'no such thing');

      // The gateway's own answers are gRPC statuses (Kong's HTTP_TO_GRPC_STATUS and words).
      const noRoute = await h2c(
        port,
        { ':path': '/nowhere.Service/Call', 'content-type': 'application/grpc' },
        frame(Buffer.from('x')),
      );
      assert.equal(noRoute.headers[':status'], 200);
      assert.equal(noRoute.headers['content-type'], 'application/grpc');
      assert.equal(noRoute.trailers?.['grpc-status'], '5');
      assert.equal(noRoute.trailers?.['grpc-message'], 'no Route matched with those values');
      assert.equal(noRoute.body, '', 'no HTTP error page');

      const unreachable = await h2c(
        port,
        { ':path': '/gone.Service/Call', 'content-type': 'application/grpc' },
        frame(Buffer.from('x')),
      );
      assert.equal(unreachable.headers[':status'], 200);
      assert.equal(unreachable.trailers?.['grpc-status'], '13', "Kong's 502 as gRPC: 13 (Internal)");
      assert.equal(
        unreachable.trailers?.['grpc-message'],
        'An invalid response was received from the upstream server',
      );

      const slowClient = echoClient(`127.0.0.1:${port}`, undefined, 'slow.test');
      try {
        const timedOut = await unary(slowClient, 'Slow', Buffer.from('x'));
        assert.equal(
          timedOut.error?.code,
          status.DEADLINE_EXCEEDED,
          'read_timeout → 504 → DEADLINE_EXCEEDED',
        );
        assert.equal(timedOut.error?.details, 'The upstream server is timing out');
      } finally {
        slowClient.close();
      }

      const tlsOnly = await h2c(
        port,
        { ':path': '/test.Echo/Unary', ':authority': 'tls.test', 'content-type': 'application/grpc' },
        frame(Buffer.from('x')),
      );
      assert.equal(tlsOnly.trailers?.['grpc-status'], '1');
      assert.equal(tlsOnly.trailers?.['grpc-message'], 'gRPC request matched gRPCs route');

      // Kong's protocol checks on a gRPC route.
      const notGrpc = await h2c(
        port,
        { ':path': '/test.Echo/Unary', 'content-type': 'application/json' },
        Buffer.from('{}'),
      );
      assert.equal(notGrpc.headers[':status'], 415);
      assert.equal(JSON.parse(notGrpc.body).message, 'Non-gRPC request matched gRPC route');
      const overHttp1 = await fetch(`http://127.0.0.1:${port}/test.Echo/Unary`, {
        method: 'POST',
        headers: { 'content-type': 'application/grpc' },
        body: frame(Buffer.from('x')),
      });
      assert.equal(overHttp1.status, 426);
      assert.equal(overHttp1.headers.get('upgrade'), 'HTTP/2');
      assert.equal(((await overHttp1.json()) as { message: string }).message, 'Please use HTTP2 protocol');

      // The same port still serves HTTP/1.1 to HTTP routes.
      const plain = await http('GET', `http://127.0.0.1:${port}/plain/x`);
      assert.equal(plain.status, 200);

      // Auth plugins answer gRPC clients with Kong's gRPC status.
      await created('/routes/echo/plugins', { name: 'key-auth' });
      await created('/consumers', { username: 'ann' });
      await created('/consumers/ann/key-auth', { key: 'ann-key' });
      const refused = await eventually(
        () => unary(client, 'Unary', Buffer.from('x')),
        (r) => r.error !== null,
      );
      assert.equal(refused.error?.code, status.UNAUTHENTICATED);
      assert.equal(refused.error?.details, 'No API key found in request');
      const keyed = new Metadata();
      keyed.set('apikey', 'ann-key');
      // The credential reaches the data plane a moment after the plugin did.
      const allowed = await eventually(
        () => unary(client, 'Unary', Buffer.from('ok'), { metadata: keyed }),
        (r) => r.error === null,
      );
      assert.equal(allowed.error, null);
      assert.equal(allowed.value?.toString(), 'ok');
    } finally {
      client.close();
    }
  });

  it('proxies grpcs: TLS with ALPN h2 from the client, and to a TLS service', async () => {
    const ca = await makeAuthority('grpc test CA');
    const leaf = await issueCertificate(ca, 'echo.upstream.test', ['echo.upstream.test']);
    await using upstream = await echoServer({ cert: leaf.certPem, key: leaf.keyPem });
    const [plain, tls] = [await freePort(), await freePort()];
    await using node = await startTraditionalNode({
      env: { TURNPIKE_PROXY_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${tls} http2 ssl` },
    });
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${node.adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    // tls_verify off (Kong's default): the upstream's certificate is from a CA the node does not know.
    await created('/services', { name: 'secure', url: `grpcs://127.0.0.1:${upstream.port}` });
    await created('/services/secure/routes', {
      name: 'secure',
      protocols: ['grpcs'],
      paths: ['/test.Echo/'],
    });

    const client = echoClient(`127.0.0.1:${tls}`, { servername: 'gateway.test' });
    try {
      const answer = await eventually(
        () => unary(client, 'Unary', Buffer.from('over tls')),
        (r) => r.error === null,
      );
      assert.equal(answer.value?.toString(), 'over tls');
      assert.deepEqual(answer.trailers?.get('x-trailer'), ['done']);
      assert.deepEqual(upstream.received.at(-1)?.get('x-forwarded-proto'), ['https']);
      const joined = await clientStream(
        client,
        ['x', 'y'].map((s) => Buffer.from(s)),
      );
      assert.equal(joined.value?.toString(), 'xy');
    } finally {
      client.close();
    }
    // The same call in plain text on a grpcs-only route: Kong's gRPC refusal (the plain listener is HTTP/1 here).
    const overHttp1 = await fetch(`http://127.0.0.1:${plain}/test.Echo/Unary`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc' },
      body: frame(Buffer.from('x')),
    });
    assert.equal(overHttp1.status, 426);
  });
});
