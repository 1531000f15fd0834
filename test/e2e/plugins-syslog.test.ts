/**
 * syslog end to end: a running node whose proxy worker runs util-linux `logger` (the real one,
 * through a wrapper that only adds `--socket` so that it writes to the test's socket instead of
 * /dev/log), and a real Unix datagram listener (python3: Node has no Unix datagram sockets). The
 * test reads the syslog messages that arrive: priority, tag, the JSON record.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { startTraditionalNode, type TraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { closedPort, type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("READY", flush=True)
while True:
    data = s.recv(65536)
    print(data.decode("utf-8", "replace").replace("\\n", " "), flush=True)
`;

let dir: string;
let listener: ChildProcess;
const messages: string[] = [];
let node: TraditionalNode;
let upstream: RecordingUpstream;
let adminUrl: string;
let proxyUrl: string;
let echo: Server;
let streamPorts: [number, number];

describe('syslog through a running node, to a real syslog socket', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'turnpike-syslog-'));
    const socketPath = join(dir, 'log.sock');
    listener = spawn('python3', ['-c', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: listener.stdout! });
    await new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        if (line === 'READY') resolve();
        else messages.push(line);
      });
    });
    const wrapper = join(dir, 'logger');
    await writeFile(wrapper, `#!/bin/sh\nexec logger --socket ${socketPath} "$@"\n`);
    await chmod(wrapper, 0o755);
    upstream = await recordingUpstream((req, res) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res.writeHead(status).end('x');
    });
    echo = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    streamPorts = [await freePort(), await freePort()];
    node = await startTraditionalNode({
      env: {
        TURNPIKE_SYSLOG_LOGGER: wrapper,
        TURNPIKE_STREAM_LISTEN: streamPorts.map((p) => `127.0.0.1:${p}`).join(', '),
      },
    });
    adminUrl = node.adminUrl;
    proxyUrl = node.proxyUrl;
    assert.equal(
      (await http('POST', `${adminUrl}/services`, { name: 's', url: `http://127.0.0.1:${upstream.port}` }))
        .status,
      201,
    );
  });
  after(async () => {
    await node?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
    echo?.close();
    listener?.kill();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("schema: Kong's defaults and refusals", async () => {
    const ok = await http('POST', `${adminUrl}/plugins`, { name: 'syslog' });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual((ok.body as { config: unknown }).config, {
      log_level: 'info',
      successful_severity: 'info',
      client_errors_severity: 'info',
      server_errors_severity: 'info',
      custom_fields_by_lua: null,
      facility: 'user',
    });
    assert.equal((await http('DELETE', `${adminUrl}/plugins/${(ok.body as { id: string }).id}`)).status, 204);
    const bad = await http('POST', `${adminUrl}/plugins`, {
      name: 'syslog',
      config: { facility: 'local9', log_level: 'loud' },
    });
    assert.equal(bad.status, 400, bad.text);
    const fields = JSON.stringify((bad.body as { fields: unknown }).fields);
    assert.match(fields, /facility.*expected one of: auth, authpriv/);
    assert.match(fields, /log_level.*expected one of: debug, info, notice, warning, err, crit, alert, emerg/);
  });

  it('one message per request: the severity its status selects, facility, tag kong[pid], the JSON record; log_level filters', async () => {
    const route = await http('POST', `${adminUrl}/services/s/routes`, { name: 'sys', paths: ['/sys'] });
    assert.equal(route.status, 201, route.text);
    const plugin = await http('POST', `${adminUrl}/routes/sys/plugins`, {
      name: 'syslog',
      config: {
        log_level: 'warning',
        successful_severity: 'info',
        client_errors_severity: 'warning',
        server_errors_severity: 'err',
        facility: 'local4',
      },
    });
    assert.equal(plugin.status, 201, plugin.text);
    // Successes are info, below log_level warning: not sent. Client errors are.
    await eventually(
      async () => {
        await (await fetch(`${proxyUrl}/sys/ready?status=404`)).text();
        return messages.length;
      },
      (n) => n > 0,
    );
    messages.length = 0;
    for (const [path, status] of [
      ['/sys/ok', 200],
      ['/sys/missing?status=404', 404],
      ['/sys/broken?status=503', 503],
    ] as const) {
      const res = await fetch(`${proxyUrl}${path}`);
      await res.text();
      assert.equal(res.status, status);
    }
    const mine = (m: string) => /"uri":"\/sys\/(ok|missing|broken)/.test(m);
    const got = await eventually(
      async () => messages.filter(mine),
      (m) => m.length >= 2,
    );
    // Nothing more comes: the 200 is below log_level (a message for it would be here by now).
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(messages.filter(mine).length, 2, messages.join('\n'));
    const parsed = got.map((m) => {
      const match = /^<(\d+)>.*?kong\[(\d+)\]: (\{.*\})$/.exec(m);
      assert.ok(match, m);
      return {
        priority: Number(match[1]),
        pid: Number(match[2]),
        // biome-ignore lint/suspicious/noExplicitAny: the log record is read loosely in assertions
        record: JSON.parse(match[3]!) as Record<string, any>,
      };
    });
    const byUri = new Map(parsed.map((p) => [p.record.request.uri as string, p]));
    assert.equal(byUri.get('/sys/missing?status=404')?.priority, 20 * 8 + 4);
    assert.equal(byUri.get('/sys/broken?status=503')?.priority, 20 * 8 + 3);
    assert.equal(byUri.has('/sys/ok'), false);
    assert.equal(byUri.get('/sys/broken?status=503')?.record.response.status, 503);
    assert.equal(byUri.get('/sys/broken?status=503')?.record.route.name, 'sys');
    assert.ok(parsed.every((p) => p.pid > 0));
  });

  it("stream sessions: the severity follows session.status (Kong's handler fails on stream records)", async () => {
    const dead = await closedPort();
    const echoPort = (echo.address() as { port: number }).port;
    for (const [name, port, listen] of [
      ['ok', echoPort, streamPorts[0]],
      ['dead', dead, streamPorts[1]],
    ] as const) {
      const svc = await http('POST', `${adminUrl}/services`, {
        name: `tcp-${name}`,
        url: `tcp://127.0.0.1:${port}`,
        retries: 0,
      });
      assert.equal(svc.status, 201, svc.text);
      const route = await http('POST', `${adminUrl}/services/tcp-${name}/routes`, {
        name: `tcp-${name}`,
        protocols: ['tcp'],
        destinations: [{ port: listen }],
      });
      assert.equal(route.status, 201, route.text);
    }
    const plugin = await http('POST', `${adminUrl}/plugins`, {
      name: 'syslog',
      protocols: ['tcp'],
      config: {
        log_level: 'info',
        successful_severity: 'notice',
        server_errors_severity: 'crit',
        facility: 'local2',
      },
    });
    assert.equal(plugin.status, 201, plugin.text);
    const session = async (port: number): Promise<void> => {
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      socket.on('error', () => {});
      socket.on('data', () => {});
      const closed = once(socket, 'close');
      socket.end('hi');
      await closed;
    };
    // biome-ignore lint/suspicious/noExplicitAny: the log record is read loosely in assertions
    const streamRecords = (): { priority: number; record: Record<string, any> }[] =>
      messages
        .map((m) => /^<(\d+)>.*?kong\[\d+\]: (\{.*\})$/.exec(m))
        .filter((m) => m !== null && m[2]!.includes('"session"'))
        .map((m) => ({ priority: Number(m![1]), record: JSON.parse(m![2]!) }));
    const got = await eventually(
      async () => {
        await session(streamPorts[0]);
        await session(streamPorts[1]);
        return streamRecords();
      },
      (r) => r.some((x) => x.record.session.status === 200) && r.some((x) => x.record.session.status === 502),
    );
    const ok = got.find((x) => x.record.session.status === 200)!;
    const failed = got.find((x) => x.record.session.status === 502)!;
    assert.equal(ok.priority, 18 * 8 + 5, 'successful_severity notice, facility local2');
    assert.equal(ok.record.route.name, 'tcp-ok');
    assert.equal(ok.record.session.received, 2);
    assert.equal(failed.priority, 18 * 8 + 2, 'server_errors_severity crit');
    assert.equal(failed.record.route.name, 'tcp-dead');
  });
});
