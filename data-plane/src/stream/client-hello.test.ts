import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from 'node:tls';
import { readClientHello } from './client-hello.ts';

/** The first bytes node's TLS client sends for `servername`. */
async function helloBytes(servername: string | undefined): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const got = once(server, 'connection');
  const client = connect({
    host: '127.0.0.1',
    port,
    ...(servername ? { servername } : {}),
    rejectUnauthorized: false,
  });
  client.on('error', () => {});
  const [socket] = (await got) as [import('node:net').Socket];
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  client.destroy();
  socket.destroy();
  server.close();
  return chunk;
}

describe('readClientHello', () => {
  it('reads the server name of a real ClientHello, and says when there is none', async () => {
    const hello = await helloBytes('Pass.Example.Test');
    assert.deepEqual(readClientHello(hello), { kind: 'tls', sni: 'pass.example.test' });
    assert.deepEqual(readClientHello(hello.subarray(0, 40)), { kind: 'partial' });
    assert.deepEqual(readClientHello(await helloBytes(undefined)), { kind: 'tls', sni: undefined });
  });

  it('tells other protocols apart at once', () => {
    assert.deepEqual(readClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { kind: 'not-tls' });
    assert.deepEqual(readClientHello(Buffer.from([0x16, 0x01])), { kind: 'partial' });
    assert.deepEqual(readClientHello(Buffer.from([0x16, 0x09, 0, 0, 0])), { kind: 'not-tls' });
  });
});
