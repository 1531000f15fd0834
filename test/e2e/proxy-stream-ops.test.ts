/**
 * Stream operations on a running node (`stream_listen`): a tcp service on an Upstream whose one
 * target refuses connections (retried elsewhere, marked unhealthy by passive checks), the
 * prometheus plugin's stream series (`kong_stream_sessions_total`, `kong_session_duration_ms`,
 * `kong_bandwidth_bytes`) and the log line of each closed session with its bytes, and `turnpike
 * quit` draining an open connection while new ones are refused.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { issueCertificate, makeAuthority } from '../helpers/pki.ts';
import { runTurnpike } from '../helpers/turnpike.ts';
import { closedPort } from './proxy-fixtures.ts';
import { closedAnyway, exchangeOver, probeListener, streamEcho } from './stream-fixtures.ts';

/** Sends `payload`, half-closes, and reads everything until the other side closes. */
async function exchange(port: number, payload: string | Buffer): Promise<string> {
  return (await exchangeOver(port, payload)).toString();
}

/** The sum over workers of the sample of `name` whose labels include all of `labels`. */
async function sample(
  statusUrl: string,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const res = await http('GET', `${statusUrl}/metrics`);
  for (const line of res.text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('stream operations', () => {
  it('retries a refusing target, marks it unhealthy, counts sessions and bytes, and logs each close', async () => {
    await using a = await streamEcho('A');
    const dead = await closedPort();
    const listen = await freePort();
    await using node = await startTraditionalNode({ env: { TURNPIKE_STREAM_LISTEN: `127.0.0.1:${listen}` } });
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${node.adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    // The plugin before the route: a worker that has the route has the plugin too.
    await created('/plugins', {
      name: 'prometheus',
      config: {
        status_code_metrics: true,
        latency_metrics: true,
        bandwidth_metrics: true,
        upstream_health_metrics: true,
      },
    });
    await created('/upstreams', {
      name: 'echo.tcp',
      healthchecks: { passive: { type: 'tcp', unhealthy: { tcp_failures: 1 } } },
    });
    await created('/upstreams/echo.tcp/targets', { target: `127.0.0.1:${a.port}` });
    await created('/upstreams/echo.tcp/targets', { target: `127.0.0.1:${dead}` });
    await created('/services', { name: 'echo', url: 'tcp://echo.tcp' });
    await created('/services/echo/routes', {
      name: 'tcp-in',
      protocols: ['tcp'],
      destinations: [{ port: listen }],
    });
    await eventually(
      () => exchange(listen, 'hello'),
      (r) => r === 'A\nhello',
    );
    const before =
      (await sample(node.statusUrl, 'kong_stream_sessions_total', { route: 'tcp-in', code: '200' })) ?? 0;
    const ingressBefore =
      (await sample(node.statusUrl, 'kong_bandwidth_bytes', { route: 'tcp-in', direction: 'ingress' })) ?? 0;
    const egressBefore =
      (await sample(node.statusUrl, 'kong_bandwidth_bytes', { route: 'tcp-in', direction: 'egress' })) ?? 0;
    for (let i = 0; i < 6; i++) assert.equal(await exchange(listen, 'hello'), 'A\nhello', `connection ${i}`);

    assert.equal(
      await sample(node.statusUrl, 'kong_stream_sessions_total', {
        route: 'tcp-in',
        code: '200',
        service: 'echo',
      }),
      before + 6,
    );
    assert.equal(
      await sample(node.statusUrl, 'kong_bandwidth_bytes', { route: 'tcp-in', direction: 'ingress' }),
      ingressBefore + 6 * 5,
    );
    assert.equal(
      await sample(node.statusUrl, 'kong_bandwidth_bytes', { route: 'tcp-in', direction: 'egress' }),
      egressBefore + 6 * 7,
    );
    assert.ok(
      ((await sample(node.statusUrl, 'kong_session_duration_ms_count', { route: 'tcp-in' })) ?? 0) >= 6,
    );
    assert.equal(
      await sample(node.statusUrl, 'kong_upstream_target_health', {
        target: `127.0.0.1:${dead}`,
        state: 'unhealthy',
      }),
      1,
    );
    // Every connection that met the refusing target was retried on the other: none closed unserved.
    assert.equal(
      await sample(node.statusUrl, 'kong_stream_sessions_total', { route: 'tcp-in', code: '502' }),
      undefined,
    );
    // The workers' log lines reach the test through a pipe: wait for them.
    const closeLines = () => node.lines.filter((l) => l.msg === 'stream session closed' && l.status === 200);
    await eventually(
      async () => closeLines().length,
      (n) => n >= 7,
    );
    const logged = closeLines();
    assert.ok(logged.length >= 6, `${logged.length} close lines`);
    assert.equal(logged.at(-1)!.bytes_in, 5);
    assert.equal(logged.at(-1)!.bytes_out, 7);
    assert.equal(logged.at(-1)!.protocol, 'tcp');
  });

  it('`turnpike quit` drains an open stream connection while new ones are refused', async () => {
    await using a = await streamEcho('A');
    const listen = await freePort();
    await using node = await startTraditionalNode({ env: { TURNPIKE_STREAM_LISTEN: `127.0.0.1:${listen}` } });
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${node.adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    await created('/services', { name: 'echo', url: `tcp://127.0.0.1:${a.port}` });
    await created('/services/echo/routes', {
      name: 'tcp-in',
      protocols: ['tcp'],
      destinations: [{ port: listen }],
    });
    await eventually(
      () => exchange(listen, 'hello'),
      (r) => r === 'A\nhello',
    );

    const socket = connect({ host: '127.0.0.1', port: listen, allowHalfOpen: true });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      received += c;
    });
    await eventually(
      async () => received,
      (r) => r === 'A\n',
    );
    const quit = runTurnpike(['quit', '--timeout', '20'], node.env);
    // New connections are refused once the listener closed.
    await eventually(
      () => probeListener(listen),
      (r) => r === 'ECONNREFUSED',
    );
    // The open connection still carries bytes both ways.
    socket.write('still here');
    await eventually(
      async () => received,
      (r) => r === 'A\nstill here',
    );
    assert.equal(node.child.exitCode, null, 'the node waits for the open connection');
    const closed = closedAnyway(socket);
    socket.end();
    await closed;
    const result = await quit;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await node.exited, 0);
  });

  it('reads a PROXY header on a proxy_protocol listener: trusted peers set the address routes and ip-restriction see', async () => {
    await using a = await streamEcho('A');
    const listen = await freePort();
    await using node = await startTraditionalNode({
      env: {
        TURNPIKE_STREAM_LISTEN: `127.0.0.1:${listen} proxy_protocol`,
        TURNPIKE_TRUSTED_IPS: '127.0.0.1',
      },
    });
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${node.adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    await created('/services', { name: 'echo', url: `tcp://127.0.0.1:${a.port}` });
    // Only clients of 203.0.113.0/24 match; ip-restriction then denies one of them.
    await created('/services/echo/routes', {
      name: 'lb-clients',
      protocols: ['tcp'],
      sources: [{ ip: '203.0.113.0/24' }],
    });
    await created('/routes/lb-clients/plugins', {
      name: 'ip-restriction',
      config: { deny: ['203.0.113.66'] },
    });

    const v1 = (client: string) => `PROXY TCP4 ${client} 127.0.0.1 40000 ${listen}\r\n`;
    // The header and the first client bytes in one segment: what follows the header is the client's.
    assert.equal(
      await eventually(
        () => exchange(listen, `${v1('203.0.113.5')}hello`),
        (r) => r === 'A\nhello',
      ),
      'A\nhello',
    );
    // v2 (binary), IPv4, for the same network.
    const v2 = Buffer.alloc(28);
    Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11]).copy(
      v2,
    );
    v2.writeUInt16BE(12, 14);
    Buffer.from([203, 0, 113, 9, 127, 0, 0, 1]).copy(v2, 16);
    v2.writeUInt16BE(40001, 24);
    v2.writeUInt16BE(listen, 26);
    assert.equal(await exchange(listen, Buffer.concat([v2, Buffer.from('two')])), 'A\ntwo');
    // The header's client is outside the route's sources: nothing matches, the connection closes.
    assert.equal(await exchange(listen, `${v1('198.51.100.1')}hello`), '');
    // In the sources, but denied by ip-restriction on the header's address (once every worker has
    // the plugin, which was created after the route).
    await eventually(
      () => exchange(listen, `${v1('203.0.113.66')}hello`),
      (r) => r === '',
    );
    // No header: closed.
    assert.equal(await exchange(listen, 'hello'), '');
    // The workers' log lines reach the test through a pipe: wait for them.
    await node.waitForLog(
      (l) => l.msg === 'stream connection refused by ip-restriction' && l.sourceIp === '203.0.113.66',
      10_000,
    );
    await node.waitForLog((l) => l.msg === 'stream connection without a valid PROXY protocol header', 10_000);
  });

  it('ssl proxy_protocol: the PROXY header comes before the TLS handshake, its client is the one tls routes see', async () => {
    await using a = await streamEcho('A');
    const ca = await makeAuthority('proxy protocol CA');
    const cert = await issueCertificate(ca, 'edge.test', ['edge.test']);
    const listen = await freePort();
    await using node = await startTraditionalNode({
      env: {
        TURNPIKE_STREAM_LISTEN: `127.0.0.1:${listen} ssl proxy_protocol`,
        TURNPIKE_TRUSTED_IPS: '127.0.0.1',
      },
    });
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${node.adminUrl}${path}`, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    };
    await created('/certificates', { cert: cert.certPem, key: cert.keyPem, snis: ['edge.test'] });
    await created('/services', { name: 'echo', url: `tcp://127.0.0.1:${a.port}` });
    await created('/services/echo/routes', {
      name: 'lb-tls',
      protocols: ['tls'],
      snis: ['edge.test'],
      sources: [{ ip: '203.0.113.0/24' }],
    });
    /** PROXY v1, then TLS over the same connection; the header and the ClientHello may share a segment. */
    const secured = async (
      client: string,
      payload: string,
      together: boolean,
    ): Promise<{ cn: string; text: string }> => {
      const raw = connect({ host: '127.0.0.1', port: listen, allowHalfOpen: true });
      await once(raw, 'connect');
      // Corked: the header and the ClientHello leave in one write (the proxy reads them together).
      if (together) raw.cork();
      raw.write(`PROXY TCP4 ${client} 127.0.0.1 40000 ${listen}\r\n`);
      const socket = tlsConnect({ socket: raw, servername: 'edge.test', rejectUnauthorized: false });
      if (together) setTimeout(() => raw.uncork(), 50);
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => {});
      const closed = closedAnyway(socket);
      let cn = '';
      socket.once('secureConnect', () => {
        cn = String(socket.getPeerCertificate().subject?.CN ?? '');
        socket.end(payload);
      });
      await closed;
      return { cn, text: Buffer.concat(chunks).toString() };
    };
    const served = await eventually(
      () => secured('203.0.113.7', 'over tls', true),
      (r) => r.text === 'A\nover tls',
    );
    assert.equal(served.cn, 'edge.test', "terminated with the SNI's certificate entity");
    // The header's client is outside the route's sources: no route, closed after the handshake.
    assert.equal((await secured('203.0.113.8', 'apart', false)).text, 'A\napart');
    assert.equal((await secured('198.51.100.1', 'nope', false)).text, '');
    await node.waitForLog(
      (l) => l.msg === 'no stream route matched' && l.sourceIp === '198.51.100.1',
      10_000,
    );
  });
});
