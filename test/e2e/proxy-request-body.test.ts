/**
 * Request bodies: Kong's `request_buffering` (on by default) reads the whole body before the
 * service is called, in memory up to client_body_buffer_size and in a temp file beyond, so that
 * a body whose chunked framing turns out broken never reaches the service in any form; with
 * `request_buffering = false` the body streams and a broken one aborts the upstream request.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS, DEFAULT_SETTINGS } from '@turnpike/data-plane/proxy';
import { definePluginHandler } from '@turnpike/plugin-sdk';
import { bundledPlugins, plugin, pluginProxy } from './plugin-fixtures.ts';
import {
  capturedLog,
  proxiedUpstream,
  rawExchange,
  rawRequest,
  recordingUpstream,
  route,
  service,
  statuses,
  testProxy,
  withoutRequestId,
} from './proxy-fixtures.ts';

const CHUNKED_HEAD = 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';

/** Sends `bytes`, then half-closes (the client has nothing more), and collects the answer. */
async function sendAndHalfClose(port: number, bytes: string): Promise<string> {
  return (await rawExchange(port, bytes, { halfClose: true, idleMs: 2000 })).answer;
}

/** Descriptors of this process open on files in `dir` (Linux /proc). */
async function openFilesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const fd of await readdir('/proc/self/fd').catch(() => [])) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) found.push(target);
  }
  return found;
}

async function bufferingProxy(options: { buffering?: boolean; bodyBufferSize?: number } = {}) {
  const tempDir = await mkdtemp(join(tmpdir(), 'turnpike-body-'));
  const pair = await proxiedUpstream({
    routes: [route(options.buffering === false ? { request_buffering: false } : {})],
    settings: {
      limits: { ...DEFAULT_LIMITS, bodyBufferSize: options.bodyBufferSize ?? 8192 },
      bodyTempDir: tempDir,
    },
  });
  return {
    ...pair,
    tempDir,
    async [Symbol.asyncDispose]() {
      await pair[Symbol.asyncDispose]();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
}

const BROKEN_FRAMING: [string, string][] = [
  ['a chunk longer than its size line', '5\r\nhelloEXTRA\r\n0\r\n\r\n'],
  ['a chunk missing its CRLF', '5\r\nhello0\r\n\r\n'],
  ['an invalid chunk size after a good chunk', '5\r\nhello\r\nzz\r\n0\r\n\r\n'],
  ['a trailer carrying Content-Length', '5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n'],
  ['a trailer carrying Transfer-Encoding', '5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n'],
];

describe('request_buffering on (the default)', () => {
  for (const [what, body] of BROKEN_FRAMING) {
    it(`answers 400 to ${what}, and the upstream never sees the request`, async () => {
      await using t = await bufferingProxy();
      t.upstream.mustNotSee();
      const answer = await rawRequest(t.proxy.port, CHUNKED_HEAD + body);
      assert.deepEqual(statuses(answer), [400], answer);
    });
  }

  it('answers 400 when the client closes before the terminating chunk, and the upstream never sees the request', async () => {
    await using t = await bufferingProxy();
    t.upstream.mustNotSee();
    const answer = await sendAndHalfClose(t.proxy.port, `${CHUNKED_HEAD}5\r\nhello\r\n`);
    assert.deepEqual(statuses(answer), [400], answer);
  });

  it('holds a body without its terminating chunk: the upstream sees nothing while the client waits', async () => {
    await using t = await bufferingProxy();
    t.upstream.mustNotSee();
    const answer = await rawRequest(t.proxy.port, `${CHUNKED_HEAD}5\r\nhello\r\n`, 400);
    assert.equal(answer, '');
    assert.equal(t.upstream.connections, 0);
  });

  it('calls the upstream only once the body is whole, with Content-Length instead of chunked', async () => {
    await using t = await bufferingProxy();
    const answer = await rawRequest(
      t.proxy.port,
      [`${CHUNKED_HEAD}5\r\nhello\r\n`, '1\r\n,\r\n', '6\r\n world\r\n0\r\n\r\n'],
      1000,
      150,
    );
    assert.deepEqual(statuses(answer), [200]);
    const seen = t.upstream.received[0]!;
    assert.equal(seen.body.toString(), 'hello, world');
    assert.equal(seen.headers['content-length'], '12');
    assert.equal(seen.headers['transfer-encoding'], undefined);
  });

  it('spills a body over client_body_buffer_size to a file under the temp folder, gone once the request is done', async () => {
    await using t = await bufferingProxy({ bodyBufferSize: 1024 });
    // A slow reader: the proxy still holds the body's file while the upstream has not read it.
    let read: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      read = resolve;
    });
    await using slow = await recordingUpstream(undefined, { beforeBody: () => gate });
    t.proxy.apply([service(slow.port)], [route()]);
    const size = 4 * 1024 * 1024;
    const body = Buffer.alloc(size, 'z');
    body.write('first', 0);
    body.write('last', size - 4);
    const pending = fetch(t.proxy.url('/big'), { method: 'POST', body });
    await waitFor(async () => slow.started.length > 0);
    const during = await openFilesIn(t.tempDir);
    read();
    const res = await pending;
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const seen = slow.received[0]!;
    assert.equal(seen.body.length, size);
    assert.equal(seen.body.subarray(0, 5).toString(), 'first');
    assert.equal(seen.body.subarray(size - 4).toString(), 'last');
    assert.equal(during.length, 1, 'one temp file held open while the body was sent');
    assert.match(during[0]!, /\(deleted\)$/, 'unlinked as soon as it was open');
    assert.deepEqual(await readdir(t.tempDir), []);
    await waitFor(async () => (await openFilesIn(t.tempDir)).length === 0);
  });

  it("answers Kong's 500 and logs TP_REQUEST_BODY_BUFFER when the temp file cannot be written", async () => {
    const captured = capturedLog();
    const tempDir = await mkdtemp(join(tmpdir(), 'turnpike-body-'));
    await using upstream = await recordingUpstream();
    await using proxy = await testProxy([service(upstream.port)], [route()], {
      settings: { limits: { ...DEFAULT_LIMITS, bodyBufferSize: 16 }, bodyTempDir: tempDir },
      log: captured.log,
    });
    // The folder goes away under the running proxy (a full or broken disk looks the same to it).
    await rm(tempDir, { recursive: true, force: true });
    upstream.mustNotSee();
    const res = await fetch(proxy.url('/x'), { method: 'POST', body: 'a'.repeat(4096) });
    assert.equal(res.status, 500);
    assert.deepEqual(withoutRequestId(await res.json()), { message: 'An unexpected error occurred' });
    const line = captured.lines.find((l) => l.msg === 'request body refused');
    assert.equal((line?.err as { code?: string } | undefined)?.code, 'TP_REQUEST_BODY_BUFFER');
  });

  it('closes the temp file of a body whose upstream call failed', async () => {
    await using t = await bufferingProxy({ bodyBufferSize: 16 });
    t.proxy.apply([service(1)], [route()]);
    const res = await fetch(t.proxy.url('/x'), { method: 'POST', body: 'a'.repeat(4096) });
    assert.equal(res.status, 502);
    await res.arrayBuffer();
    await waitFor(async () => (await openFilesIn(t.tempDir)).length === 0);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('request_buffering off', () => {
  for (const [what, body] of BROKEN_FRAMING) {
    it(`aborts the streamed upstream request on ${what}: the upstream never gets it whole`, async () => {
      await using t = await bufferingProxy({ buffering: false });
      const answer = await rawRequest(t.proxy.port, CHUNKED_HEAD + body);
      assert.deepEqual(statuses(answer), [400], answer);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(t.upstream.received, []);
    });
  }

  it('aborts the streamed upstream request when the client leaves before the terminating chunk', async () => {
    await using t = await bufferingProxy({ buffering: false });
    await sendAndHalfClose(t.proxy.port, `${CHUNKED_HEAD}5\r\nhello\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(t.upstream.received, []);
  });
});

describe('plugins reading the body', () => {
  const reader = definePluginHandler({
    name: 'body-reader',
    version: '1.0.0',
    priority: 1,
    async access(ctx) {
      const body = await ctx.request.readBody();
      ctx.setUpstreamHeader('X-Body-Length', String(body.length));
      ctx.setUpstreamHeader('X-Body-Tail', body.subarray(-4).toString());
    },
  });

  for (const [what, buffering, bufferSize] of [
    ['a body held in memory', true, 1 << 20],
    ['a body spilled to a temp file', true, 64],
    ['a streamed body (request_buffering off)', false, 64],
  ] as const) {
    it(`reads ${what}, and the service gets the same bytes`, async () => {
      const plugins = await bundledPlugins();
      await using upstream = await recordingUpstream();
      const tempDir = await mkdtemp(join(tmpdir(), 'turnpike-body-'));
      const entities = {
        services: [{ id: '00000000-0000-4000-8000-000000000001', host: '127.0.0.1', port: upstream.port }],
        routes: [
          {
            id: '00000000-0000-4000-8000-0000000000a1',
            paths: ['/'],
            request_buffering: buffering,
            service: { id: '00000000-0000-4000-8000-000000000001' },
          },
        ],
        plugins: [plugin('body-reader', '00000000-0000-4000-8000-0000000000a1')],
      };
      await using proxy = await pluginProxy(plugins, entities, new Map([['body-reader', reader]]), {
        settings: {
          ...DEFAULT_SETTINGS,
          limits: { ...DEFAULT_LIMITS, bodyBufferSize: bufferSize },
          bodyTempDir: tempDir,
        },
      });
      try {
        const body = `${'x'.repeat(5000)}tail`;
        const answer = await rawRequest(
          proxy.port,
          `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
        );
        assert.deepEqual(statuses(answer), [200], answer);
        const seen = upstream.received[0]!;
        assert.equal(seen.headers['x-body-length'], '5004');
        assert.equal(seen.headers['x-body-tail'], 'tail');
        assert.equal(seen.body.toString(), body);
        assert.equal(seen.headers['content-length'], '5004');
      } finally {
        await rm(tempDir, { recursive: true, force: true });
      }
    });
  }
});
