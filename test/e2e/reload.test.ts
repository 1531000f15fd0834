/**
 * `turnpike reload` applies everything or nothing, observed through the network: a proxy
 * listener added (the workers replaced one by one, the other listener serving throughout), a
 * plugin enabled and usable at once, an uninstalled plugin or a key a reload cannot apply
 * refused with exit 1 and the running configuration kept.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { proxyWorkers, runTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

/** Two clients sending GETs to `url` until `stop()`: what they saw, 200s counted, the rest listed. */
function steadyLoad(url: string): { stop(): Promise<{ served: number; failures: string[] }> } {
  let loading = true;
  const failures: string[] = [];
  let served = 0;
  const client = async () => {
    while (loading) {
      const answer = await http('GET', url).catch((err: Error) => ({ status: 0, text: err.message }));
      if (answer.status === 200) served++;
      else failures.push(`${answer.status} ${answer.text}`);
    }
  };
  const clients = [client(), client()];
  return {
    async stop() {
      loading = false;
      await Promise.all(clients);
      return { served, failures };
    },
  };
}

test('reload opens a new listener and enables a plugin, and refuses what it cannot apply', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-reload-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await using upstream = await startEchoUpstream('reload');
  const [proxy, added, admin, status] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const file = join(dir, 'turnpike.conf');
  const conf = (lines: Record<string, string>) =>
    writeFile(
      file,
      Object.entries({
        proxy_listen: `127.0.0.1:${proxy}`,
        admin_listen: `127.0.0.1:${admin}`,
        status_listen: `127.0.0.1:${status}`,
        plugins: 'basic-auth',
        ...lines,
      })
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n'),
    );
  await conf({});
  await using node = await startTurnpike({ args: ['-c', file] });
  const reload = () => runTurnpike(['reload', '-c', file], node.env);
  const adminUrl = `http://127.0.0.1:${admin}`;
  assert.equal((await http('POST', `${adminUrl}/services`, { name: 'web', url: upstream.url })).status, 201);
  assert.equal((await http('POST', `${adminUrl}/services/web/routes`, { paths: ['/web'] })).status, 201);
  await eventually(
    () => http('GET', `http://127.0.0.1:${proxy}/web/`),
    (r) => r.status === 200,
  );

  // A listener added, while the first one carries traffic.
  const load = steadyLoad(`http://127.0.0.1:${proxy}/web/`);
  t.after(() => load.stop());
  await conf({ proxy_listen: `127.0.0.1:${proxy}, 127.0.0.1:${added}` });
  const first = await reload();
  assert.equal(first.code, 0, first.stderr);
  const onNew = await eventually(
    () => http('GET', `http://127.0.0.1:${added}/web/new`),
    (r) => r.status === 200,
  );
  assert.deepEqual(onNew.body, { upstream: 'reload', method: 'GET', url: '/new' });
  await new Promise((r) => setTimeout(r, 500));
  const { served, failures } = await load.stop();
  assert.deepEqual(failures, [], 'the first listener served throughout the reload');
  assert.ok(served > 0);

  // A plugin enabled by the reload can be configured and runs at once.
  const before = await http('POST', `${adminUrl}/services/web/plugins`, { name: 'key-auth' });
  assert.equal(before.status, 400, 'key-auth is not enabled yet');
  await conf({ proxy_listen: `127.0.0.1:${proxy}, 127.0.0.1:${added}`, plugins: 'basic-auth, key-auth' });
  const second = await reload();
  assert.equal(second.code, 0, second.stderr);
  const enabled = await http('POST', `${adminUrl}/services/web/plugins`, { name: 'key-auth' });
  assert.equal(enabled.status, 201, enabled.text);
  const guarded = await eventually(
    () => http('GET', `http://127.0.0.1:${added}/web/`),
    (r) => r.status === 401,
  );
  assert.deepEqual(guarded.body, { message: 'No API key found in request' });
  const root = await http('GET', `${adminUrl}/`);
  const available = (root.body as { plugins: { available_on_server: Record<string, unknown> } }).plugins
    .available_on_server;
  assert.ok('key-auth' in available, 'GET / lists the plugin the reload enabled');

  // An uninstalled plugin: refused with the loader's reason, exit 1, everything kept.
  await conf({
    proxy_listen: `127.0.0.1:${proxy}, 127.0.0.1:${added}`,
    plugins: 'basic-auth, key-auth, no-such-plugin',
  });
  const missing = await reload();
  assert.equal(missing.code, 1, missing.stdout);
  assert.match(missing.stderr, /no-such-plugin/);
  // A plugin still in use cannot be disabled (start's "in use but not enabled").
  await conf({ proxy_listen: `127.0.0.1:${proxy}, 127.0.0.1:${added}`, plugins: 'basic-auth' });
  const inUse = await reload();
  assert.equal(inUse.code, 1, inUse.stdout);
  assert.match(inUse.stderr, /key-auth/);
  // An Admin API listener moved: the new port opened, the old one closed.
  const movedAdmin = await freePort();
  await conf({
    proxy_listen: `127.0.0.1:${proxy}, 127.0.0.1:${added}`,
    admin_listen: `127.0.0.1:${movedAdmin}`,
    plugins: 'basic-auth, key-auth',
  });
  const moved = await reload();
  assert.equal(moved.code, 0, moved.stderr);
  assert.equal((await http('GET', `http://127.0.0.1:${movedAdmin}/status`)).status, 200);
  await eventually(
    () =>
      http('GET', `${adminUrl}/status`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 0,
  );
  // A key only a restart applies: refused, naming it.
  await conf({
    proxy_listen: `127.0.0.1:${proxy}, 127.0.0.1:${added}`,
    admin_listen: `127.0.0.1:${movedAdmin}`,
    plugins: 'basic-auth, key-auth',
    status_listen: `127.0.0.1:${await freePort()}`,
  });
  const restartOnly = await reload();
  assert.equal(restartOnly.code, 1, restartOnly.stdout);
  assert.match(restartOnly.stderr, /status_listen \(from turnpike\.conf:\d+\).*restart/);
  assert.equal(
    (await http('GET', `http://127.0.0.1:${added}/web/`)).status,
    401,
    'the running configuration is kept',
  );
  assert.equal((await http('GET', `http://127.0.0.1:${movedAdmin}/status`)).status, 200);
});

/**
 * worker_processes 1 → 2 → 1 by reload, under load: every reload replaces the workers, and none
 * of the load fails. `inMain`: whether a node with one worker runs it in its main process (its
 * `/status` row has the node's pid; the two of a 2-worker node are forked).
 */
async function reloadWorkerCount(
  t: { after(fn: () => Promise<void>): void },
  extra: (dir: string, upstreamUrl: string) => Promise<string[]>,
  inMain: boolean,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-reload-workers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await using upstream = await startEchoUpstream('workers');
  const [proxy, admin, status] = [await freePort(), await freePort(), await freePort()];
  const file = join(dir, 'turnpike.conf');
  const lines = await extra(dir, upstream.url);
  const conf = (workers: number) =>
    writeFile(
      file,
      [
        `proxy_listen = 127.0.0.1:${proxy}`,
        `admin_listen = 127.0.0.1:${admin}`,
        `status_listen = 127.0.0.1:${status}`,
        `worker_processes = ${workers}`,
        ...lines,
      ].join('\n'),
    );
  await conf(1);
  // The file sets worker_processes: the helper's TURNPIKE_WORKER_PROCESSES would win over it ('' drops it).
  await using node = await startTurnpike({ args: ['-c', file], env: { TURNPIKE_WORKER_PROCESSES: '' } });
  const statusUrl = `http://127.0.0.1:${status}`;
  const adminUrl = `http://127.0.0.1:${admin}`;
  if (lines.length === 0) {
    assert.equal(
      (await http('POST', `${adminUrl}/services`, { name: 'web', url: upstream.url })).status,
      201,
    );
    assert.equal((await http('POST', `${adminUrl}/services/web/routes`, { paths: ['/web'] })).status, 201);
  }
  await eventually(
    () => http('GET', `http://127.0.0.1:${proxy}/web/`),
    (r) => r.status === 200,
  );
  const pidsOf = async () => (await proxyWorkers(statusUrl)).map((w) => w.pid).sort();
  const one = await pidsOf();
  assert.equal(one.length, 1);
  assert.equal(one[0] === node.child.pid, inMain, 'the one worker runs in the main process');

  const load = steadyLoad(`http://127.0.0.1:${proxy}/web/`);
  let seen: { served: number; failures: string[] } | undefined;
  try {
    await conf(2);
    const grown = await runTurnpike(['reload', '-c', file], node.env);
    assert.equal(grown.code, 0, grown.stderr);
    const two = await eventually(
      () => proxyWorkers(statusUrl),
      (w) => w.length === 2 && w.every((x) => x.state === 'running'),
    );
    assert.equal(two.length, 2);
    assert.notDeepEqual(await pidsOf(), one, 'new workers');
    assert.ok(
      two.every((w) => w.pid !== node.child.pid),
      'two workers are forked',
    );
    await conf(1);
    const shrunk = await runTurnpike(['reload', '-c', file], node.env);
    assert.equal(shrunk.code, 0, shrunk.stderr);
    const back = await eventually(
      () => proxyWorkers(statusUrl),
      (w) => w.length === 1 && w.every((x) => x.state === 'running'),
    );
    assert.equal(back[0]?.pid === node.child.pid, inMain, 'back to one worker, where one runs');
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    seen = await load.stop();
  }
  assert.deepEqual(seen.failures, [], 'served throughout both reloads');
  assert.ok(seen.served > 0);
}

test('reload applies a changed worker_processes by replacing the workers, serving throughout', (t) =>
  reloadWorkerCount(t, async () => [], false));

test('DB-less: one worker runs in the main process, a reload to two forks them and back to one runs it there again', (t) =>
  reloadWorkerCount(
    t,
    async (dir, upstreamUrl) => {
      const yml = join(dir, 'kong.yml');
      await writeFile(
        yml,
        [
          '_format_version: "3.0"',
          'services:',
          '  - name: web',
          `    url: ${upstreamUrl}`,
          '    routes:',
          '      - paths: [/web]',
          '',
        ].join('\n'),
      );
      return ['database = off', `declarative_config = ${yml}`];
    },
    true,
  ));
