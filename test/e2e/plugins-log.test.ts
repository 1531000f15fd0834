/**
 * The logging plugins end to end: one `turnpike start` (Admin API, store, sync, proxy worker), a
 * recording upstream, and the plugins' real receivers on loopback (a temp file for file-log).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

interface Delivery {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  /** The status the receiver answered. */
  status: number;
}

/**
 * The log server: records every request. `answer` says what to do with the next one: a status,
 * or 'hold' to keep it unanswered (a receiver that hangs).
 */
interface Receiver {
  readonly port: number;
  readonly deliveries: Delivery[];
  answer: (n: number, body: unknown) => number | 'hold';
  readonly held: ServerResponse[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const held: ServerResponse[] = [];
  const receiver = {
    deliveries,
    held,
    answer: (_n: number, _body: unknown): number | 'hold' => 200,
  } as Receiver & { port: number };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      const decision = receiver.answer(deliveries.length, body);
      const delivery: Delivery = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        status: decision === 'hold' ? 0 : decision,
      };
      deliveries.push(delivery);
      if (decision === 'hold') held.push(res);
      else res.writeHead(decision, { 'content-type': 'text/plain' }).end(decision >= 300 ? 'nope' : 'ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  (receiver as { port: number }).port = (server.address() as AddressInfo).port;
  receiver.close = async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return receiver;
}

/** The log records a delivery carries (one object, or an array of them). */
function records(d: Delivery): Record<string, unknown>[] {
  return (Array.isArray(d.body) ? d.body : [d.body]) as Record<string, unknown>[];
}

function uriOf(record: Record<string, unknown>): string {
  return (record.request as { uri: string }).uri;
}

/** Sends `/<route>/ready` until the receiver got a record of it (route and plugin synced). */
async function deliveryReady(route: string, receiver: Receiver): Promise<void> {
  await eventually(
    async () => {
      await (await fetch(`${proxyUrl}/${route}/ready`)).text();
      return receiver.deliveries.length;
    },
    (n) => n > 0,
  );
}

let node: RunningTurnpike;
let upstream: RecordingUpstream;
let dir: string;
let adminUrl: string;
let proxyUrl: string;
let statusUrl: string;

async function lines(path: string): Promise<Record<string, unknown>[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {}
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Creates a route `/<name>` on service `s` with `plugins`, and waits until the proxy serves it. */
async function routeWith(name: string, plugins: Record<string, unknown>[]): Promise<void> {
  const created = await http('POST', `${adminUrl}/services/s/routes`, { name, paths: [`/${name}`] });
  assert.equal(created.status, 201, created.text);
  for (const p of plugins) {
    const made = await http('POST', `${adminUrl}/routes/${name}/plugins`, p);
    assert.equal(made.status, 201, made.text);
  }
}

/** Sends requests to `/<route>/ready` until one of them reaches `path` (route and plugin both synced). */
async function loggingReady(route: string, path: string): Promise<void> {
  await eventually(
    async () => {
      await (await fetch(`${proxyUrl}/${route}/ready`)).text();
      return lines(path);
    },
    (l) => l.length > 0,
  );
}

describe('logging plugins through a running node', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'turnpike-log-e2e-'));
    upstream = await recordingUpstream();
    const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()];
    node = await startTurnpike({
      env: {
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      },
    });
    adminUrl = `http://127.0.0.1:${admin}`;
    proxyUrl = `http://127.0.0.1:${proxy}`;
    statusUrl = `http://127.0.0.1:${status}`;
    const service = await http('POST', `${adminUrl}/services`, {
      name: 's',
      url: `http://127.0.0.1:${upstream.port}/base`,
    });
    assert.equal(service.status, 201, service.text);
  });
  after(async () => {
    await node?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('file-log: schema defaults, the Lua refusal and a bad path are Kong-shaped', async () => {
    const path = join(dir, 'schema.log');
    const ok = await http('POST', `${adminUrl}/plugins`, { name: 'file-log', config: { path } });
    assert.equal(ok.status, 201, ok.text);
    const config = (ok.body as { config: Record<string, unknown> }).config;
    assert.deepEqual(config, { path, reopen: false, custom_fields_by_lua: null });
    assert.equal((await http('DELETE', `${adminUrl}/plugins/${(ok.body as { id: string }).id}`)).status, 204);

    const lua = await http('POST', `${adminUrl}/plugins`, {
      name: 'file-log',
      config: { path, custom_fields_by_lua: { foo: "return 'bar'" } },
    });
    assert.equal(lua.status, 400, lua.text);
    assert.match(JSON.stringify(lua.body), /custom_fields_by_lua.*Lua code is not run by Turnpike/);
    const emptyLua = await http('POST', `${adminUrl}/plugins`, {
      name: 'file-log',
      config: { path, custom_fields_by_lua: {} },
    });
    assert.equal(emptyLua.status, 201, emptyLua.text);
    assert.equal(
      (await http('DELETE', `${adminUrl}/plugins/${(emptyLua.body as { id: string }).id}`)).status,
      204,
    );

    const bad = await http('POST', `${adminUrl}/plugins`, { name: 'file-log', config: { path: ' /tmp/x*' } });
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual((bad.body as { fields: unknown }).fields, { config: { path: 'not a valid filename' } });
    const missing = await http('POST', `${adminUrl}/plugins`, { name: 'file-log', config: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual((missing.body as { fields: unknown }).fields, {
      config: { path: 'required field missing' },
    });
  });

  it("file-log: request.size and response.size are the bytes on the wire (nginx's $request_length, $bytes_sent)", async () => {
    const path = join(dir, 'sizes.log');
    await routeWith('sizes', [{ name: 'file-log', config: { path } }]);
    await loggingReady('sizes', path);
    // A latin1 byte in a header value: one byte on the wire, as node reads and writes header lines.
    const head = Buffer.from(
      'POST /sizes/exact?q=1 HTTP/1.1\r\nHost: sizes.test\r\nX-Name: caf\xe9\r\nContent-Length: 5\r\nConnection: close\r\n\r\n',
      'latin1',
    );
    const sent = Buffer.concat([head, Buffer.from('hello')]);
    const received = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(Number(new URL(proxyUrl).port), '127.0.0.1', () => socket.end(sent));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    assert.match(received.toString('latin1'), /^HTTP\/1\.1 200 /);
    const entry = (
      await eventually(
        () => lines(path),
        (l) => l.some((e) => (e.request as { uri: string }).uri === '/sizes/exact?q=1'),
      )
    ).find((e) => (e.request as { uri: string }).uri === '/sizes/exact?q=1')!;
    assert.equal((entry.request as { size: number }).size, sent.length);
    assert.equal((entry.request as { headers: Record<string, string> }).headers['x-name'], 'caf\u00e9');
    // The head as written (Date, Connection and Transfer-Encoding included) and the body; the
    // chunked framing around the body is not counted (nginx's $bytes_sent counts it).
    const text = received.toString('latin1');
    const headLength = text.indexOf('\r\n\r\n') + 4;
    let bodyLength = 0;
    for (let at = headLength; ; ) {
      const eol = text.indexOf('\r\n', at);
      const size = Number.parseInt(text.slice(at, eol), 16);
      if (size === 0) break;
      bodyLength += size;
      at = eol + 2 + size + 2;
    }
    assert.ok(bodyLength > 0);
    assert.equal((entry.response as { size: number }).size, headLength + bodyLength);
  });

  it('file-log: one JSON line per request, in the log serializer shape', async () => {
    const path = join(dir, 'file.log');
    await routeWith('filelog', [{ name: 'file-log', config: { path } }]);
    await loggingReady('filelog', path);
    const res = await fetch(`${proxyUrl}/filelog/a/b?x=1&x=2&flag`, {
      headers: { authorization: 'Basic c2VjcmV0', 'x-trace': 'abc' },
    });
    assert.equal(res.status, 200);
    await res.text();
    const requestId = res.headers.get('x-kong-request-id');
    const all = await eventually(
      () => lines(path),
      (l) => l.some((e) => (e.request as { uri: string }).uri.startsWith('/filelog/a/b')),
    );
    const entry = all.find((e) => (e.request as { uri: string }).uri.startsWith('/filelog/a/b'))!;
    const request = entry.request as Record<string, unknown>;
    assert.equal(request.method, 'GET');
    assert.equal(request.uri, '/filelog/a/b?x=1&x=2&flag');
    assert.equal(request.url, `${proxyUrl}/filelog/a/b?x=1&x=2&flag`);
    assert.deepEqual(request.querystring, { x: ['1', '2'], flag: true });
    const headers = request.headers as Record<string, string>;
    assert.equal(headers.authorization, 'REDACTED');
    assert.equal(headers['x-trace'], 'abc');
    assert.ok((request.size as number) > 0);
    if (requestId !== null) assert.equal(request.id, requestId);
    assert.equal(entry.upstream_uri, '/base/a/b?x=1&x=2&flag');
    assert.equal(entry.upstream_status, '200');
    const response = entry.response as Record<string, unknown>;
    assert.equal(response.status, 200);
    assert.equal((response.headers as Record<string, string>)['x-upstream'], 'yes');
    assert.ok((response.size as number) > 0);
    const { kong, proxy, request: total } = entry.latencies as Record<string, number>;
    assert.ok(total! >= 0 && proxy! >= 0 && kong! >= 0, JSON.stringify(entry.latencies));
    assert.ok(total! >= proxy!);
    assert.equal((entry.route as { name: string }).name, 'filelog');
    assert.equal((entry.service as { name: string }).name, 's');
    assert.equal(entry.client_ip, '127.0.0.1');
    assert.ok(Math.abs((entry.started_at as number) - Date.now()) < 60_000);
    assert.equal(entry.source, 'upstream');
    const tries = entry.tries as {
      ip: string;
      port: number;
      balancer_start: number;
      balancer_latency: number;
    }[];
    assert.equal(tries.length, 1);
    assert.deepEqual({ ip: tries[0]!.ip, port: tries[0]!.port }, { ip: '127.0.0.1', port: upstream.port });
    assert.ok(tries[0]!.balancer_start >= (entry.started_at as number), JSON.stringify(tries));
    assert.equal(tries[0]!.balancer_latency, 0);
    assert.equal('state' in tries[0]!, false);
    assert.equal(entry.workspace_name, 'default');
  });

  it('file-log: reopen = true follows a rotated file', async () => {
    const path = join(dir, 'reopen.log');
    await routeWith('reopen', [{ name: 'file-log', config: { path, reopen: true } }]);
    await loggingReady('reopen', path);
    await rm(path);
    const res = await fetch(`${proxyUrl}/reopen/after-rotation`);
    await res.text();
    const after = await eventually(
      () => lines(path),
      (l) => l.some((e) => (e.request as { uri: string }).uri === '/reopen/after-rotation'),
    );
    assert.ok(after.length >= 1);
  });

  it('http-log: schema defaults and Kong-shaped refusals', async () => {
    const endpoint = 'http://127.0.0.1:9/logs';
    const ok = await http('POST', `${adminUrl}/plugins`, {
      name: 'http-log',
      config: { http_endpoint: endpoint },
    });
    assert.equal(ok.status, 201, ok.text);
    const config = (ok.body as { config: Record<string, unknown> }).config;
    assert.deepEqual(config, {
      http_endpoint: endpoint,
      method: 'POST',
      content_type: 'application/json',
      timeout: 10000,
      keepalive: 60000,
      retry_count: null,
      queue_size: null,
      flush_timeout: null,
      headers: null,
      queue: {
        max_batch_size: 1,
        max_coalescing_delay: 1,
        max_entries: 10000,
        max_bytes: null,
        max_retry_time: 60,
        initial_retry_delay: 0.01,
        max_retry_delay: 60,
        concurrency_limit: 1,
      },
      custom_fields_by_lua: null,
    });
    assert.equal((await http('DELETE', `${adminUrl}/plugins/${(ok.body as { id: string }).id}`)).status, 204);
    const refused = async (config: Record<string, unknown>): Promise<string> => {
      const res = await http('POST', `${adminUrl}/plugins`, { name: 'http-log', config });
      assert.equal(res.status, 400, res.text);
      return JSON.stringify((res.body as { fields: unknown }).fields);
    };
    assert.match(await refused({ http_endpoint: endpoint, method: 'GET' }), /method/);
    assert.match(await refused({ http_endpoint: endpoint, content_type: 'text/plain' }), /content_type/);
    assert.match(
      await refused({ http_endpoint: endpoint, headers: { 'Content-Type': 'x' } }),
      /cannot contain 'Content-Type' header/,
    );
    assert.match(
      await refused({ http_endpoint: 'http://u:p@127.0.0.1:9/', headers: { Authorization: 'x' } }),
      /specifying both an 'Authorization' header and user info/,
    );
    assert.match(
      await refused({ http_endpoint: endpoint, custom_fields_by_lua: { a: 'return 1' } }),
      /Lua code is not run/,
    );
    assert.match(
      await refused({ http_endpoint: endpoint, queue: { concurrency_limit: 2 } }),
      /concurrency_limit/,
    );
    assert.match(await refused({}), /http_endpoint/);
  });

  it('http-log: one record per POST with max_batch_size 1, Basic auth from user info, headers', async () => {
    const receiver = await startReceiver();
    try {
      await routeWith('httplog', [
        {
          name: 'http-log',
          config: {
            http_endpoint: `http://alice:s3cret@127.0.0.1:${receiver.port}/logs?x=1`,
            headers: { 'X-Log-Token': 'tok' },
          },
        },
      ]);
      await deliveryReady('httplog', receiver);
      await (await fetch(`${proxyUrl}/httplog/one?q=1`, { headers: { authorization: 'Bearer t' } })).text();
      await eventually(
        async () => receiver.deliveries.flatMap(records).map(uriOf),
        (uris) => uris.includes('/httplog/one?q=1'),
      );
      const delivery = receiver.deliveries.find((d) =>
        records(d).some((r) => uriOf(r) === '/httplog/one?q=1'),
      )!;
      assert.equal(delivery.method, 'POST');
      assert.equal(delivery.url, '/logs?x=1');
      assert.ok(!Array.isArray(delivery.body), 'a single object when max_batch_size is 1');
      assert.equal(delivery.headers['content-type'], 'application/json');
      assert.equal(delivery.headers.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
      assert.equal(delivery.headers['x-log-token'], 'tok');
      const record = delivery.body as Record<string, unknown>;
      assert.equal((record.request as { headers: Record<string, string> }).headers.authorization, 'REDACTED');
      assert.equal((record.response as { status: number }).status, 200);
      assert.equal(record.upstream_status, '200');
      assert.equal((record.route as { name: string }).name, 'httplog');
    } finally {
      await receiver.close();
    }
  });

  it('http-log: batches are JSON arrays when max_batch_size > 1 (PUT, charset content type)', async () => {
    const receiver = await startReceiver();
    try {
      await routeWith('batched', [
        {
          name: 'http-log',
          config: {
            http_endpoint: `http://127.0.0.1:${receiver.port}/batch`,
            method: 'PUT',
            content_type: 'application/json; charset=utf-8',
            queue: { max_batch_size: 3, max_coalescing_delay: 0.5 },
          },
        },
      ]);
      await deliveryReady('batched', receiver);
      const before = receiver.deliveries.length;
      await Promise.all(['a', 'b', 'c'].map(async (p) => (await fetch(`${proxyUrl}/batched/${p}`)).text()));
      const wanted = ['/batched/a', '/batched/b', '/batched/c'];
      const later = await eventually(
        async () => receiver.deliveries.slice(before).flatMap(records).map(uriOf),
        (uris) => wanted.every((u) => uris.includes(u)),
      );
      // Late `ready` probes may share a batch; each request is logged once.
      assert.deepEqual(later.filter((u) => wanted.includes(u)).sort(), wanted);
      const batch = receiver.deliveries.slice(before);
      assert.ok(
        batch.every((d) => Array.isArray(d.body)),
        'arrays',
      );
      assert.ok(batch.length <= 2, `${later.length} entries in ${batch.length} batches`);
      assert.equal(batch[0]!.method, 'PUT');
      assert.equal(batch[0]!.headers['content-type'], 'application/json; charset=utf-8');
    } finally {
      await receiver.close();
    }
  });

  it('http-log: a batch the receiver answers 500 is retried, then delivered', async () => {
    const receiver = await startReceiver();
    try {
      await routeWith('retried', [
        {
          name: 'http-log',
          config: {
            http_endpoint: `http://127.0.0.1:${receiver.port}/r`,
            queue: { initial_retry_delay: 0.05 },
          },
        },
      ]);
      await deliveryReady('retried', receiver);
      let failed = false;
      receiver.answer = (_n, body) => {
        if (failed || (body as { request?: { uri?: string } }).request?.uri !== '/retried/again') return 200;
        failed = true;
        return 500;
      };
      await (await fetch(`${proxyUrl}/retried/again`)).text();
      const got = await eventually(
        async () => receiver.deliveries.filter((d) => records(d).some((r) => uriOf(r) === '/retried/again')),
        (ds) => ds.length >= 2,
      );
      assert.deepEqual(
        got.map((d) => d.status),
        [500, 200],
      );
    } finally {
      await receiver.close();
    }
  });

  it('http-log: a hanging or down receiver never delays the proxied response', async () => {
    const receiver = await startReceiver();
    try {
      await routeWith('slowlog', [
        {
          name: 'http-log',
          config: { http_endpoint: `http://127.0.0.1:${receiver.port}/slow`, timeout: 60000 },
        },
      ]);
      await deliveryReady('slowlog', receiver);
      receiver.answer = () => 'hold';
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        const res = await fetch(`${proxyUrl}/slowlog/${i}`);
        await res.text();
        assert.equal(res.status, 200);
        times.push(performance.now() - start);
      }
      // The receiver holds the delivery it got (the queue waits on it, up to `timeout`).
      await eventually(
        async () => receiver.held.length,
        (n) => n > 0,
      );
      assert.ok(Math.max(...times) < 5000, `proxied responses took ${times.map(Math.round).join(', ')} ms`);
    } finally {
      await receiver.close();
    }
    // Receiver gone (connection refused): still answered.
    const res = await fetch(`${proxyUrl}/slowlog/down`);
    await res.text();
    assert.equal(res.status, 200);
  });

  it('http-log: a full queue drops entries, counted on /metrics, and the proxy still answers', async () => {
    const receiver = await startReceiver();
    receiver.answer = () => 'hold';
    try {
      await routeWith('fullq', [
        {
          name: 'http-log',
          config: {
            http_endpoint: `http://127.0.0.1:${receiver.port}/full`,
            timeout: 60000,
            queue: { max_entries: 2 },
          },
        },
      ]);
      await deliveryReady('fullq', receiver);
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${proxyUrl}/fullq/${i}`);
        await res.text();
        assert.equal(res.status, 200);
      }
      const dropped = await eventually(
        async () => {
          const text = await (await fetch(`${statusUrl}/metrics`)).text();
          const line = text
            .split('\n')
            .find((l) => l.startsWith('turnpike_log_entries_dropped{') && l.includes('plugin="http-log"'));
          return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
        },
        (n) => n >= 8,
      );
      assert.ok(dropped >= 8, String(dropped));
      assert.ok(node.lines.some((l) => /queue full, dropping old entries/.test(JSON.stringify(l))));
    } finally {
      await receiver.close();
    }
  });
});
