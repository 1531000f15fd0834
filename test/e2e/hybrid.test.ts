import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type ClusterCerts,
  type DataPlaneItem,
  dataPlanes,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http, type JsonResponse } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

let pg: TestPostgres;
let certs: ClusterCerts;
before(async () => {
  pg = await startPostgres();
  certs = await genClusterCert();
});
after(async () => {
  await certs[Symbol.asyncDispose]();
  await pg[Symbol.asyncDispose]();
});

const served = (r: JsonResponse) => r.status === 200;

describe('hybrid mode: a control plane on PostgreSQL and data plane processes over mutual TLS', () => {
  test('a write reaches every data plane; they keep serving without the control plane and resume with it', async () => {
    await using upstream = await startEchoUpstream('svc');
    const dsn = await pg.newDatabase();
    let cp = await startControlPlaneNode(dsn, certs);
    const clusterPort = cp.clusterPort;
    await using dp1 = await startDataPlaneNode(clusterPort, certs);
    await using dp2 = await startDataPlaneNode(clusterPort, certs);
    try {
      assert.equal(
        (await http('POST', `${cp.adminUrl}/services`, { name: 'svc', url: upstream.url })).status,
        201,
      );
      assert.equal(
        (await http('POST', `${cp.adminUrl}/services/svc/routes`, { paths: ['/svc'] })).status,
        201,
      );
      for (const dp of [dp1, dp2]) await eventually(() => http('GET', `${dp.proxyUrl}/svc/a`), served);

      const listed = await eventually(
        () => dataPlanes(cp),
        (list) => list.length === 2 && list.every((d) => d.sync_status === 'normal' && d.config_version > 0),
      );
      assert.equal(new Set(listed.map((d) => d.config_hash)).size, 1, 'both hold the same configuration');
      const metrics = (await http('GET', `${cp.statusUrl}/metrics`)).text;
      assert.match(metrics, /^turnpike_cluster_data_planes_connected 2$/m);
      assert.match(metrics, /^turnpike_cluster_config_nacks_total 0$/m);
      for (const dp of listed) {
        assert.match(
          metrics,
          new RegExp(`^turnpike_cluster_data_plane_lag_versions\\{node_id="${dp.id}"\\} 0$`, 'm'),
        );
      }
      assert.match(metrics, /^turnpike_cluster_config_apply_duration_seconds_count [1-9]/m);

      // The control plane dies: the data planes keep serving their last configuration.
      cp.child.kill('SIGKILL');
      await cp.exited;
      for (const dp of [dp1, dp2]) assert.equal((await http('GET', `${dp.proxyUrl}/svc/b`)).status, 200);

      // It comes back on the same port: the data planes reconnect and get the next write.
      cp = await startControlPlaneNode(dsn, certs, { clusterPort });
      assert.equal(
        (await http('POST', `${cp.adminUrl}/services/svc/routes`, { paths: ['/again'] })).status,
        201,
      );
      for (const dp of [dp1, dp2]) await eventually(() => http('GET', `${dp.proxyUrl}/again`), served);
    } finally {
      await cp[Symbol.asyncDispose]();
    }
  });

  test('a data plane that cannot apply a version NACKs it and keeps serving; one lacking a plugin is shown incompatible and not ready', async () => {
    await using upstream = await startEchoUpstream('skew');
    // One custom plugin in two versions: the control plane's accepts any greeting, the data
    // plane's only short ones (a plugin upgraded on one side only).
    const plugins = await mkdtemp(join(tmpdir(), 'turnpike-plugins-'));
    try {
      for (const [side, rule] of [
        ['cp', ''],
        ['dp', ', len_max: 5'],
      ] as const) {
        const dir = join(plugins, side, 'greeting');
        await mkdir(dir, { recursive: true });
        await writeFile(
          join(dir, 'schema.mjs'),
          `export const schema = { name: 'greeting', fields: { config: { type: 'record', required: true, fields: { greeting: { type: 'string', required: true${rule} } } } } };\n`,
        );
        await writeFile(
          join(dir, 'handler.mjs'),
          "export const handler = { name: 'greeting', version: '1.0.0', priority: 10, access() {} };\n",
        );
      }
      const enabled = { TURNPIKE_PLUGINS: 'bundled,greeting' };
      await using cp = await startControlPlaneNode(await pg.newDatabase(), certs, {
        env: { ...enabled, TURNPIKE_PLUGIN_PATHS: join(plugins, 'cp') },
      });
      await using dp = await startDataPlaneNode(cp.clusterPort, certs, {
        env: { ...enabled, TURNPIKE_PLUGIN_PATHS: join(plugins, 'dp') },
      });
      await http('POST', `${cp.adminUrl}/services`, { name: 'skew', url: upstream.url });
      await http('POST', `${cp.adminUrl}/services/skew/routes`, { paths: ['/skew'] });
      await eventually(() => http('GET', `${dp.proxyUrl}/skew`), served);

      const plugin = await http('POST', `${cp.adminUrl}/services/skew/plugins`, {
        name: 'greeting',
        config: { greeting: 'hello, world' },
      });
      assert.equal(plugin.status, 201, plugin.text);
      const [rejected] = await eventually(
        () => dataPlanes(cp),
        (list) => list[0]?.sync_status === 'config_rejected',
      );
      const lastError = (rejected as DataPlaneItem & { last_error?: string }).last_error ?? '';
      assert.match(lastError, /greeting/);
      assert.equal(
        (await http('GET', `${dp.proxyUrl}/skew`)).status,
        200,
        'the last good configuration still serves',
      );

      // A value both sides accept: the data plane catches up and is normal again.
      const id = (plugin.body as { id: string }).id;
      assert.equal(
        (await http('PATCH', `${cp.adminUrl}/plugins/${id}`, { config: { greeting: 'hi' } })).status,
        200,
      );
      await eventually(
        () => dataPlanes(cp),
        (list) => list[0]?.sync_status === 'normal',
      );

      // A data plane without the plugin at all: shown incompatible, and not ready, naming it.
      await using lacking = await startDataPlaneNode(cp.clusterPort, certs);
      const listed = await eventually(
        () => dataPlanes(cp),
        (list) => list.some((d) => d.sync_status === 'plugin_set_incompatible'),
      );
      assert.equal(listed.filter((d) => d.sync_status === 'normal').length, 1, 'the other one is unaffected');
      const ready = await eventually(
        () => http('GET', `${lacking.statusUrl}/status/ready`),
        (r) => /greeting/.test(r.text),
      );
      assert.equal(ready.status, 503);
      assert.match(ready.text, /plugin_set_incompatible: greeting plugin is in use but not enabled/);
    } finally {
      await rm(plugins, { recursive: true, force: true });
    }
  });

  test('a data plane restarted while the control plane is down serves from its cache file', async () => {
    await using upstream = await startEchoUpstream('cached');
    const dsn = await pg.newDatabase();
    const prefix = await mkdtemp(join(tmpdir(), 'turnpike-dp-'));
    try {
      const cp = await startControlPlaneNode(dsn, certs);
      try {
        await http('POST', `${cp.adminUrl}/services`, { name: 'cached', url: upstream.url });
        await http('POST', `${cp.adminUrl}/services/cached/routes`, { paths: ['/cached'] });
        await using dp = await startDataPlaneNode(cp.clusterPort, certs, { prefix });
        await eventually(() => http('GET', `${dp.proxyUrl}/cached`), served);
      } finally {
        await cp[Symbol.asyncDispose]();
      }
      // No control plane at all now.
      await using restarted = await startDataPlaneNode(1, certs, { prefix });
      const res = await http('GET', `${restarted.proxyUrl}/cached/x`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { upstream: 'cached', method: 'GET', url: '/x' });
      assert.equal((await http('GET', `${restarted.statusUrl}/status/ready`)).status, 200);
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  });

  test('a corrupt cache file: the data plane starts empty, not ready, and says why', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'turnpike-dp-'));
    try {
      await writeFile(join(prefix, 'config.cache'), 'this is not a configuration\n');
      await using dp = await startDataPlaneNode(1, certs, { prefix });
      const ready = await http('GET', `${dp.statusUrl}/status/ready`);
      assert.equal(ready.status, 503);
      assert.equal((await http('GET', `${dp.statusUrl}/status`)).status, 200, 'alive all the same');
      const line = await dp.waitForLog((l) => JSON.stringify(l).includes('config.cache'));
      assert.ok(line.level >= 40, 'logged as a warning or an error');
      assert.equal((await http('GET', `${dp.proxyUrl}/anything`)).status, 404);
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  });

  test('a data plane with another certificate is refused and never listed', async () => {
    const dsn = await pg.newDatabase();
    await using cp = await startControlPlaneNode(dsn, certs);
    await using stranger = await genClusterCert();
    await using dp = await startDataPlaneNode(cp.clusterPort, stranger);
    await dp.waitForLog(
      (l) =>
        l.level >= 40 &&
        /disconnected|refused|handshake|certificate|UNAVAILABLE|UNAUTHENTICATED/i.test(JSON.stringify(l)),
    );
    assert.equal((await http('GET', `${dp.statusUrl}/status/ready`)).status, 503);
    assert.deepEqual(await dataPlanes(cp), []);
  });

  test('two control planes on one database: a write on either reaches the data planes of both', async () => {
    await using upstream = await startEchoUpstream('two');
    const dsn = await pg.newDatabase();
    await using cpA = await startControlPlaneNode(dsn, certs);
    await using cpB = await startControlPlaneNode(dsn, certs);
    await using dpA = await startDataPlaneNode(cpA.clusterPort, certs);
    await using dpB = await startDataPlaneNode(cpB.clusterPort, certs);
    assert.equal(
      (await http('POST', `${cpA.adminUrl}/services`, { name: 'two', url: upstream.url })).status,
      201,
    );
    assert.equal(
      (await http('POST', `${cpB.adminUrl}/services/two/routes`, { paths: ['/two'] })).status,
      201,
    );
    for (const dp of [dpA, dpB]) await eventually(() => http('GET', `${dp.proxyUrl}/two`), served);
    const [a] = await dataPlanes(cpA);
    const [b] = await dataPlanes(cpB);
    assert.equal(a?.config_hash, b?.config_hash);
  });

  test('a data plane that reconnects gets only the delta it missed, not a snapshot', async () => {
    await using upstream = await startEchoUpstream('delta');
    const dsn = await pg.newDatabase();
    let cpA = await startControlPlaneNode(dsn, certs);
    const clusterPort = cpA.clusterPort;
    await using cpB = await startControlPlaneNode(dsn, certs);
    await using dp = await startDataPlaneNode(clusterPort, certs);
    try {
      await http('POST', `${cpA.adminUrl}/services`, { name: 'delta', url: upstream.url });
      await http('POST', `${cpA.adminUrl}/services/delta/routes`, { paths: ['/one'] });
      await eventually(() => http('GET', `${dp.proxyUrl}/one`), served);

      // Its control plane goes away; a write lands through the other one meanwhile.
      cpA.child.kill('SIGKILL');
      await cpA.exited;
      assert.equal(
        (await http('POST', `${cpB.adminUrl}/services/delta/routes`, { paths: ['/two'] })).status,
        201,
      );
      cpA = await startControlPlaneNode(dsn, certs, { clusterPort });
      await eventually(() => http('GET', `${dp.proxyUrl}/two`), served);
      const applied = dp.lines.filter((l) => l.msg === 'configuration applied');
      assert.equal(applied.at(-1)?.kind, 'delta', JSON.stringify(applied));
    } finally {
      await cpA[Symbol.asyncDispose]();
    }
  });

  test('a burst of 1,000 writes converges every data plane to the same hash', async () => {
    const dsn = await pg.newDatabase();
    await using cp = await startControlPlaneNode(dsn, certs);
    await using dp1 = await startDataPlaneNode(cp.clusterPort, certs);
    await using dp2 = await startDataPlaneNode(cp.clusterPort, certs);
    const writes = Array.from({ length: 1000 }, (_, i) => i);
    const concurrency = 16;
    for (let i = 0; i < writes.length; i += concurrency) {
      const batch = writes.slice(i, i + concurrency);
      const results = await Promise.all(
        batch.map((n) =>
          http('POST', `${cp.adminUrl}/services`, { name: `s${n}`, url: `http://127.0.0.1:9/${n}` }),
        ),
      );
      for (const r of results) assert.equal(r.status, 201, r.text);
    }
    const status = (await http('GET', `${cp.statusUrl}/status`)).body as {
      control_plane: { config_version: number; config_hash: string };
    };
    const target = await eventually(
      async () => ((await http('GET', `${cp.statusUrl}/status`)).body as typeof status).control_plane,
      (c) => c.config_version >= 1000,
    );
    const converged = await eventually(
      () => dataPlanes(cp),
      (list) => list.length === 2 && list.every((d) => d.config_version === target.config_version),
      30_000,
    );
    for (const dp of converged) assert.equal(dp.config_hash, target.config_hash);
    for (const node of [dp1, dp2]) {
      const body = (await http('GET', `${node.statusUrl}/status`)).body as {
        data_plane: { config_hash: string };
      };
      assert.equal(body.data_plane.config_hash, target.config_hash);
    }
  });
});
