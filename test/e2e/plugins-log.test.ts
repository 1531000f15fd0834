/**
 * The logging plugins end to end: one `turnpike start` (Admin API, store, sync, proxy worker), a
 * recording upstream, and the plugins' real receivers on loopback (a temp file for file-log).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

let node: RunningTurnpike;
let upstream: RecordingUpstream;
let dir: string;
let adminUrl: string;
let proxyUrl: string;

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
    assert.deepEqual(entry.tries, [{ ip: '127.0.0.1', port: upstream.port }]);
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
});
