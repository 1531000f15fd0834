import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startEchoUpstream, startWebSocketEchoUpstream } from '../helpers/upstream.ts';

/** kong/templates/nginx_kong.lua kong_log_format: nginx's combined plus the request id. */
const KONG_LINE =
  /^(\S+) - (\S+) \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" kong_request_id: "([0-9a-f]{32})"$/;
/** nginx's combined format (the Admin API's and the status listener's access logs). */
const COMBINED_LINE = /^(\S+) - (\S+) \[[^\]]+\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$/;

async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

async function linesWhen(path: string, done: (l: string[]) => boolean): Promise<string[]> {
  return eventually(() => lines(path), done);
}

async function routeTo(adminUrl: string, upstreamUrl: string): Promise<void> {
  assert.equal((await http('POST', `${adminUrl}/services`, { name: 'echo', url: upstreamUrl })).status, 201);
  const route = await http('POST', `${adminUrl}/services/echo/routes`, { name: 'r1', paths: ['/echo'] });
  assert.equal(route.status, 201, route.text);
}

describe('access logs', () => {
  it('write one Kong-format line per proxied request under the prefix by default, Admin API and status lines, and reopen on SIGUSR1', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode({
      env: { TURNPIKE_STATUS_ACCESS_LOG: 'logs/status_access.log' },
    });
    const accessLog = join(node.prefix, 'logs/access.log');
    await routeTo(node.adminUrl, upstream.url);
    const ok = await eventually(
      () =>
        http('GET', `${node.proxyUrl}/echo/a?q=1`, undefined, {
          referer: 'http://ref.test/',
          'user-agent': 'agent "x"',
        }),
      (r) => r.status === 200,
    );
    const miss = await http('GET', `${node.proxyUrl}/nowhere`, undefined, {
      authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}`,
    });
    const proxied = await linesWhen(accessLog, (l) =>
      l.some((line) => line.includes(miss.headers.get('x-kong-request-id')!)),
    );
    const okLine = proxied.find((l) => l.includes(ok.headers.get('x-kong-request-id')!));
    const okMatch = KONG_LINE.exec(okLine ?? '');
    assert.ok(okMatch, `a kong_log_format line: ${okLine}`);
    assert.equal(okMatch[1], '127.0.0.1');
    assert.equal(okMatch[4], 'GET /echo/a?q=1 HTTP/1.1');
    assert.equal(okMatch[5], '200');
    assert.equal(Number(okMatch[6]), Buffer.byteLength(ok.text), '$body_bytes_sent');
    assert.equal(okMatch[7], 'http://ref.test/');
    assert.equal(okMatch[8], 'agent \\x22x\\x22', 'escaped as nginx does');
    const missMatch = KONG_LINE.exec(
      proxied.find((l) => l.includes(miss.headers.get('x-kong-request-id')!))!,
    );
    assert.equal(missMatch?.[2], 'alice', '$remote_user');
    assert.equal(missMatch?.[5], '404');
    assert.equal(Number(missMatch?.[6]), Buffer.byteLength(miss.text));

    const admin = await linesWhen(join(node.prefix, 'logs/admin_access.log'), (l) =>
      l.some((line) => line.includes('"POST /services HTTP/1.1" 201')),
    );
    assert.ok(
      admin.every((l) => COMBINED_LINE.test(l)),
      admin.join('\n'),
    );
    await http('GET', `${node.statusUrl}/status`);
    const status = await linesWhen(join(node.prefix, 'logs/status_access.log'), (l) =>
      l.some((line) => line.includes('"GET /status HTTP/1.1" 200')),
    );
    assert.ok(status.every((l) => COMBINED_LINE.test(l)));

    // logrotate: move the file away, signal, and the next lines go to a new file.
    await rename(accessLog, `${accessLog}.1`);
    process.kill(node.child.pid!, 'SIGUSR1');
    await node.waitForLog((l) => l.msg === 'log files reopened');
    const after = await eventually(
      async () => {
        const res = await http('GET', `${node.proxyUrl}/echo/after`);
        return { id: res.headers.get('x-kong-request-id')!, lines: await lines(accessLog) };
      },
      (r) => r.lines.some((l) => l.includes(r.id)),
    );
    assert.ok(after.lines.every((l) => KONG_LINE.test(l)));
    const rotated = await lines(`${accessLog}.1`);
    assert.ok(
      rotated.some((l) => l.includes(ok.headers.get('x-kong-request-id')!)),
      'the earlier lines stay in the moved file',
    );
    assert.ok(!rotated.some((l) => l.includes(after.id)), 'and the new ones go to the reopened file');
  });

  it('with proxy_access_log_format = json, carry the route, service, upstream and latencies; off writes nothing; warnings reach the error log', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode({
      env: {
        TURNPIKE_PROXY_ACCESS_LOG: 'json/access.log',
        TURNPIKE_PROXY_ACCESS_LOG_FORMAT: 'json',
        TURNPIKE_ADMIN_ACCESS_LOG: 'off',
        // An ignored (nginx-only) key: its warning is a line the error log must take.
        TURNPIKE_DB_CACHE_TTL: '0',
        TURNPIKE_STATUS_ERROR_LOG: 'logs/status_errors.log',
      },
    });
    await routeTo(node.adminUrl, upstream.url);
    const ok = await eventually(
      () => http('GET', `${node.proxyUrl}/echo/json`),
      (r) => r.status === 200,
    );
    const id = ok.headers.get('x-kong-request-id')!;
    const found = await linesWhen(join(node.prefix, 'json/access.log'), (l) =>
      l.some((line) => line.includes(id)),
    );
    const record = JSON.parse(found.find((l) => l.includes(id))!) as Record<string, unknown>;
    assert.equal(record.request_id, id);
    assert.deepEqual(record.response, { status: 200, size: Buffer.byteLength(ok.text) });
    assert.equal((record.route as { name: string }).name, 'r1');
    assert.equal((record.service as { name: string }).name, 'echo');
    assert.equal(record.consumer, null);
    assert.equal(record.upstream_addr, `127.0.0.1:${upstream.port}`);
    assert.equal(record.upstream_status, 200);
    const latencies = record.latencies as { kong: number; proxy: number; request: number };
    assert.ok(
      latencies.request >= latencies.proxy && latencies.proxy >= 0 && latencies.kong >= 0,
      JSON.stringify(latencies),
    );
    assert.deepEqual(await lines(join(node.prefix, 'logs/admin_access.log')), []);

    const errors = await linesWhen(join(node.prefix, 'logs/error.log'), (l) => l.length > 0);
    const levels = errors.map((l) => (JSON.parse(l) as { level: number }).level);
    assert.ok(
      levels.every((level) => level >= 40),
      'warnings and errors only',
    );
    assert.ok(
      errors.some((l) => l.includes('db_cache_ttl')),
      errors.join('\n'),
    );

    // status_error_log: a malformed request to the status listener is refused and logged there.
    const status = new URL(node.statusUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(status.port), status.hostname, () =>
        socket.write('NOT HTTP AT ALL\r\n\r\n'),
      );
      let text = '';
      socket.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request/);
    const statusErrors = await linesWhen(join(node.prefix, 'logs/status_errors.log'), (l) => l.length > 0);
    assert.ok(
      statusErrors.some((l) => l.includes('status listener refused a malformed request')),
      statusErrors.join('\n'),
    );
  });

  it('write one line per WebSocket handshake when its connection closes: 101 and the bytes the tunnel sent, or the refusal', async () => {
    await using upstream = await startWebSocketEchoUpstream();
    await using node = await startTraditionalNode();
    const accessLog = join(node.prefix, 'logs/access.log');
    await routeTo(node.adminUrl, `http://127.0.0.1:${upstream.port}`);
    const url = `${node.proxyUrl.replace('http', 'ws')}/echo/chat`;
    const echoed = await eventually(
      () =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.on('open', () => ws.send('hello over the tunnel'));
          ws.on('message', (data) => {
            ws.close();
            resolve(String(data));
          });
          ws.on('error', () => resolve(''));
          ws.on('unexpected-response', () => resolve(''));
        }),
      (text) => text !== '',
    );
    assert.match(echoed, /hello over the tunnel/);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${node.proxyUrl.replace('http', 'ws')}/nowhere`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });
    assert.equal(refused, 404);
    const logged = await linesWhen(
      accessLog,
      (l) =>
        l.some((line) => line.includes('"GET /echo/chat HTTP/1.1" 101')) &&
        l.some((line) => line.includes('"GET /nowhere HTTP/1.1" 404')),
    );
    const tunnel = KONG_LINE.exec(logged.find((l) => l.includes('"GET /echo/chat HTTP/1.1" 101'))!);
    assert.ok(tunnel);
    // The echoed frame and the close frame went to the client after the 101's head.
    assert.ok(Number(tunnel[6]) >= 'hello over the tunnel'.length, tunnel[0]);
    const miss = KONG_LINE.exec(logged.find((l) => l.includes('"GET /nowhere HTTP/1.1" 404'))!);
    assert.ok(miss && Number(miss[6]) > 0, miss?.[0]);
  });
});
