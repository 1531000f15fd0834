/**
 * Real proxy workers (`turnpike start`, worker_processes = 2) under inputs and plugins that used
 * to end a worker: a request line claiming HTTP/2.0, a plugin calling process.exit or killing its
 * process, a plugin's timer throwing, a plugin's promise rejected with nobody awaiting it. Every
 * one fails its own request at most; the workers keep their pids and the pool restarts none.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, http } from '../helpers/http.ts';
import {
  nodeListeners,
  type ProxyWorkerRow,
  proxyWorkers,
  type RunningTurnpike,
  startTurnpike,
} from '../helpers/turnpike.ts';
import { type EchoUpstream, startEchoUpstream } from '../helpers/upstream.ts';
import { rawRequest, statuses } from './proxy-fixtures.ts';

const MODES = [
  'exit',
  'async-exit',
  'kill-self',
  'kill-parent',
  'timer-throw',
  'reject',
  'header-crlf',
] as const;

const SCHEMA = `export const schema = { name: 'hostile', fields: { config: { type: 'record', required: true, fields: { mode: { type: 'string', required: true } } } } };\n`;
const HANDLER = `export const handler = {
  name: 'hostile', version: '1.0.0', priority: 10,
  async access(ctx, conf) {
    switch (conf.mode) {
      case 'exit': process.exit(0); break;
      case 'async-exit': await new Promise((r) => setTimeout(r, 5)); process.exit(3); break;
      case 'kill-self': process.kill(process.pid, 'SIGKILL'); break;
      case 'kill-parent': process.kill(process.ppid, 'SIGTERM'); break;
      case 'timer-throw': setTimeout(() => { throw new Error('thrown from a plugin timer'); }, 1); break;
      case 'reject': Promise.reject(new Error('a plugin promise nobody awaited')); break;
      case 'header-crlf': ctx.setResponseHeader('X-A', 'a\\r\\nX-Injected: 1'); break;
    }
  },
};
`;

describe('proxy workers survive hostile requests and plugins', () => {
  let node: RunningTurnpike;
  let upstream: EchoUpstream;
  let pluginDir: string;
  let proxyPort: number;
  let statusUrl: string;
  let initial: ProxyWorkerRow[];

  const workers = () => proxyWorkers(statusUrl);

  before(async () => {
    upstream = await startEchoUpstream('safety');
    pluginDir = await mkdtemp(join(tmpdir(), 'turnpike-hostile-'));
    await mkdir(join(pluginDir, 'hostile'));
    await writeFile(join(pluginDir, 'hostile', 'schema.mjs'), SCHEMA);
    await writeFile(join(pluginDir, 'hostile', 'handler.mjs'), HANDLER);
    const listeners = await nodeListeners();
    proxyPort = listeners.proxyPort;
    statusUrl = listeners.statusUrl;
    node = await startTurnpike({
      env: {
        TURNPIKE_WORKER_PROCESSES: '2',
        TURNPIKE_PLUGINS: 'bundled,hostile',
        TURNPIKE_PLUGIN_PATHS: pluginDir,
        ...listeners.env,
      },
    });
    const adminUrl = listeners.adminUrl;
    assert.equal(
      (await http('POST', `${adminUrl}/services`, { name: 'svc', url: upstream.url })).status,
      201,
    );
    const plain = await http('POST', `${adminUrl}/services/svc/routes`, { name: 'plain', paths: ['/plain'] });
    assert.equal(plain.status, 201, plain.text);
    for (const mode of MODES) {
      const r = await http('POST', `${adminUrl}/services/svc/routes`, { name: mode, paths: [`/m/${mode}`] });
      assert.equal(r.status, 201, r.text);
      const p = await http('POST', `${adminUrl}/routes/${mode}/plugins`, {
        name: 'hostile',
        config: { mode },
      });
      assert.equal(p.status, 201, p.text);
    }
    await eventually(
      () => rawRequest(proxyPort, `GET /m/${MODES.at(-1)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`),
      (answer) => statuses(answer)[0] === 500,
    );
    initial = await eventually(
      workers,
      (rows) => rows.length === 2 && rows.every((w) => w.state === 'running'),
    );
  });

  after(async () => {
    await node?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
    if (pluginDir !== undefined) await rm(pluginDir, { recursive: true, force: true });
  });

  const assertNoWorkerEnded = async (): Promise<void> => {
    const rows = await workers();
    assert.deepEqual(
      rows.map((w) => [w.pid, w.state, w.restarts]),
      initial.map((w) => [w.pid, 'running', 0]),
    );
    assert.ok(!node.lines.some((l) => /^worker process .*; restarting it$/.test(l.msg)), 'no worker ended');
  };

  test('ten request lines claiming HTTP/2.0 at once get 505 each, and the port keeps answering', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => rawRequest(proxyPort, 'GET /plain HTTP/2.0\r\nHost: a\r\n\r\n')),
    );
    for (const answer of answers) assert.deepEqual(statuses(answer), [505], answer);
    const next = await rawRequest(proxyPort, 'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.deepEqual(statuses(next), [200]);
    assert.equal(
      upstream.received.filter((r) => r.url === '/plain').length,
      0,
      'the 505s never went upstream',
    );
    await assertNoWorkerEnded();
  });

  for (const mode of ['exit', 'async-exit', 'kill-self', 'kill-parent', 'header-crlf'] as const) {
    test(`a plugin doing ${mode} gets its request a 500, and no process ends`, async () => {
      const answer = await rawRequest(
        proxyPort,
        `GET /m/${mode} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      assert.deepEqual(statuses(answer), [500], answer);
      assert.doesNotMatch(answer, /X-Injected/i);
      const line = await node.waitForLog(
        (l) =>
          l.msg === 'plugin failed' &&
          l.plugin === 'hostile' &&
          JSON.stringify(l.err).includes(mode === 'header-crlf' ? 'TP_PLUGIN_VALUE' : 'TP_PLUGIN_EXIT'),
      );
      assert.equal(line.phase, 'access');
      await assertNoWorkerEnded();
      assert.equal(node.child.exitCode, null, 'the main process runs');
    });
  }

  for (const [mode, kind] of [
    ['timer-throw', 'uncaught exception'],
    ['reject', 'unhandled rejection'],
  ] as const) {
    test(`a plugin whose ${kind} escapes is named in the log, and the worker keeps serving`, async () => {
      const answer = await rawRequest(
        proxyPort,
        `GET /m/${mode} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      assert.deepEqual(statuses(answer), [200], answer);
      const line = await node.waitForLog((l) => l.msg === `${kind}: the process keeps running`);
      assert.equal(line.plugin, 'hostile');
      await assertNoWorkerEnded();
    });
  }
});
