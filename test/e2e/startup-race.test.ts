/**
 * Issue 14's start-up bug: a large `POST /config` sent as soon as a traditional node's Admin API
 * answers, while its proxy worker is still starting, on one CPU, made the node exit with
 * `start failed: the proxy workers did not start within 30000 ms`: the main process (the control
 * plane, and the workers' node:cluster primary, which binds their listeners) was busy with the
 * write for longer than the pool's start deadline. A slow start must delay readiness, never end
 * the node.
 *
 * How long the write keeps the main process busy depends on the machine; to outlast the 30 s
 * deadline every time, the worker is made slow to start as well, by a plugin (from
 * `plugin_paths`) whose module takes 32 s to load in a proxy worker.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, http } from '../helpers/http.ts';
import { nodeListeners, startTurnpike } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { tempDir } from './custom-plugin-fixtures.ts';

const ROUTES = 5_000;
const WORKER_LOAD_MS = 32_000;

/** `slow-start`: does nothing per request; its handler module sleeps while a proxy worker loads it. */
async function writeSlowStartPlugin(parent: string): Promise<void> {
  const dir = join(parent, 'slow-start');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'schema.ts'),
    `import { configRecord, definePluginSchema } from '@turnpike/plugin-sdk';
export const schema = definePluginSchema({ name: 'slow-start', fields: { config: configRecord({}) } });
`,
  );
  await writeFile(
    join(dir, 'handler.ts'),
    `import cluster from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import { definePluginHandler, SDK_VERSION } from '@turnpike/plugin-sdk';
if (cluster.isWorker) await sleep(${WORKER_LOAD_MS});
export const handler = definePluginHandler({ name: 'slow-start', version: '1.0.0', priority: 1, sdkVersion: SDK_VERSION });
`,
  );
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'turnpike-plugin-slow-start', version: '1.0.0', type: 'module', turnpike: { plugin: 'slow-start' } })}\n`,
  );
}

test('a large POST /config racing a slow worker start on one CPU delays readiness and never ends the node', {
  timeout: 600_000,
}, async () => {
  await using upstream = await startEchoUpstream('raced');
  await using plugins = await tempDir('turnpike-slow-start-');
  await writeSlowStartPlugin(plugins.path);
  const { adminUrl, proxyPort, statusUrl, env } = await nodeListeners();
  await using node = await startTurnpike({
    cpus: '0',
    env: {
      ...env,
      TURNPIKE_ROLE: 'traditional',
      TURNPIKE_DSN: 'memory',
      TURNPIKE_WORKER_PROCESSES: '1',
      TURNPIKE_PLUGINS: 'bundled,slow-start',
      TURNPIKE_PLUGIN_PATHS: plugins.path,
    },
    // Returns as soon as the Admin API listens: the proxy worker is forked after it.
    readyMessage: 'admin listener started',
  });
  assert.ok(!node.lines.some((l) => l.msg === 'worker started'), 'the write races the worker start');
  const routes = Array.from({ length: ROUTES }, (_, i) => ({ name: `r${i}`, paths: [`/r${i}`] }));
  const posted = await http('POST', `${adminUrl}/config`, {
    _format_version: '3.0',
    services: [{ name: 'raced', url: upstream.url, routes }],
  });
  assert.equal(posted.status, 201, posted.text);

  const ready = await eventually(
    () => http('GET', `${statusUrl}/status/ready`).catch(() => ({ status: 0 })),
    (r) => r.status === 200 || node.child.exitCode !== null,
    300_000,
  );
  assert.equal(node.child.exitCode, null, `the node exited:\n${node.stderr()}`);
  assert.equal(ready.status, 200);
  assert.ok(
    node.lines.some((l) => l.msg === 'the proxy workers have not started yet: still waiting'),
    'the start outlasted the deadline, which was logged',
  );
  assert.ok(!node.lines.some((l) => l.msg === 'start failed'));
  const status = (await http('GET', `${statusUrl}/status`)).body as {
    data_plane: { workers: { state: string; restarts: number }[] };
  };
  assert.deepEqual(
    status.data_plane.workers.map((w) => [w.state, w.restarts]),
    [['running', 0]],
  );
  const last = await eventually(
    () => http('GET', `http://127.0.0.1:${proxyPort}/r${ROUTES - 1}/x`),
    (r) => r.status === 200,
    60_000,
  );
  assert.deepEqual(last.body, { upstream: 'raced', method: 'GET', url: '/x' });
});
