/**
 * TCP and TLS streams through a running node (`stream_listen`), configured through the Admin API:
 * tcp routes on destinations and sources, a 100 MB transfer both ways with a checksum and a
 * half-close, tls routes terminated with the SNI's certificate entity, tls_passthrough routed on
 * SNI without terminating, and a connection nothing matches closed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { issueCertificate, makeAuthority } from '../helpers/pki.ts';
import { streamEcho } from './stream-fixtures.ts';

const MB = 1024 * 1024;

interface Exchange {
  readonly banner: string;
  readonly echoed: Buffer;
  readonly socket: Socket;
}

/** Sends `payload` on an open socket, half-closes, and reads everything until the other side ends. */
async function exchange(socket: Socket, payload: Buffer): Promise<Exchange> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  // A connection the proxy refused is reset: what counts is what arrived before it closed.
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  socket.end(payload);
  await closed;
  const all = Buffer.concat(chunks);
  const nl = all.indexOf(10);
  return { banner: all.subarray(0, nl).toString(), echoed: all.subarray(nl + 1), socket };
}

async function tcp(port: number, payload: Buffer): Promise<Exchange> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(socket, 'connect');
  return exchange(socket, payload);
}

async function tls(port: number, servername: string, payload: Buffer): Promise<Exchange & { cn: string }> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  const cn = String(socket.getPeerCertificate().subject?.CN ?? '');
  return { ...(await exchange(socket, payload)), cn };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('TCP and TLS streams through a running node', () => {
  it('routes tcp, tls and tls_passthrough connections and carries their bytes both ways', async () => {
    const ca = await makeAuthority('stream test CA');
    const passCert = await issueCertificate(ca, 'pass.test', ['pass.test']);
    const edgeCert = await issueCertificate(ca, 'tls.test', ['tls.test']);
    await using a = await streamEcho('A');
    await using b = await streamEcho('B');
    await using passthrough = await streamEcho('P', { cert: passCert.certPem, key: passCert.keyPem });
    const [plain, other, secure] = [await freePort(), await freePort(), await freePort()];
    await using node = await startTraditionalNode({
      env: { TURNPIKE_STREAM_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${other}, 127.0.0.1:${secure} ssl` },
    });
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${node.adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    await created('/services', { name: 'a', url: `tcp://127.0.0.1:${a.port}` });
    await created('/services', { name: 'b', url: `tcp://127.0.0.1:${b.port}` });
    await created('/services', { name: 'p', url: `tcp://127.0.0.1:${passthrough.port}` });
    await created('/services/a/routes', {
      name: 'by-port',
      protocols: ['tcp'],
      destinations: [{ port: plain }],
    });
    await created('/services/b/routes', {
      name: 'by-source',
      protocols: ['tcp'],
      sources: [{ ip: '127.0.0.0/8' }],
      destinations: [{ port: other }],
    });
    await created('/services/a/routes', { name: 'terminated', protocols: ['tls'], snis: ['tls.test'] });
    await created('/services/p/routes', {
      name: 'passed',
      protocols: ['tls_passthrough'],
      snis: ['pass.test'],
    });
    await created('/certificates', { cert: edgeCert.certPem, key: edgeCert.keyPem, snis: ['tls.test'] });

    // tcp on a destination port: 100 MB each way, checksummed, ended by a half-close.
    const big = Buffer.alloc(100 * MB);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const first = await eventually(
      () => tcp(plain, Buffer.from('hello')),
      (r) => r.banner === 'A',
    );
    assert.equal(first.echoed.toString(), 'hello');
    const large = await tcp(plain, big);
    assert.equal(large.banner, 'A');
    assert.equal(large.echoed.length, big.length);
    assert.equal(sha(large.echoed), sha(big), 'every byte arrives, in order');

    // Sources and destinations together outrank a destination alone; the other port takes them.
    assert.equal((await tcp(other, Buffer.from('x'))).banner, 'B');

    // tls: terminated with the certificate entity of the SNI, then plain bytes to the service.
    const terminated = await tls(secure, 'tls.test', Buffer.from('over tls'));
    assert.equal(terminated.cn, 'tls.test', "the node's certificate for tls.test");
    assert.equal(terminated.banner, 'A');
    assert.equal(terminated.echoed.toString(), 'over tls');

    // tls_passthrough: routed on the ClientHello's SNI, the TLS session is the service's own.
    const passed = await tls(plain, 'pass.test', Buffer.from('end to end'));
    assert.equal(passed.cn, 'pass.test', "the service's certificate: nothing was terminated");
    assert.equal(passed.banner, 'P');
    assert.equal(passed.echoed.toString(), 'end to end');
    // The same port still takes plain tcp.
    assert.equal((await tcp(plain, Buffer.from('y'))).banner, 'A');

    // ip-restriction applies to stream routes (Kong's defaults take tcp): a denied client is
    // closed before anything reaches the service.
    await created('/routes/by-source/plugins', { name: 'ip-restriction', config: { deny: ['127.0.0.1'] } });
    await eventually(
      () => tcp(other, Buffer.from('z')),
      (r) => r.banner === '' && r.echoed.length === 0,
    );

    // Nothing matches a TLS connection with another SNI on the ssl listener: closed, no bytes.
    const unmatched = tlsConnect({
      host: '127.0.0.1',
      port: secure,
      servername: 'other.test',
      rejectUnauthorized: false,
    });
    unmatched.on('error', () => {});
    const got: Buffer[] = [];
    unmatched.on('data', (c: Buffer) => got.push(c));
    await once(unmatched, 'close');
    assert.equal(Buffer.concat(got).length, 0);
  });
});
