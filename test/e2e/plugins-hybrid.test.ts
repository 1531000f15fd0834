import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type ClusterCerts,
  dataPlanes,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { serviceAndRoute, tempDir, writeStampPlugin } from './custom-plugin-fixtures.ts';

// A custom TypeScript plugin in a folder outside the repository, on a control plane and its data
// planes; and a data plane without it: not ready (naming it), shown incompatible, serving its last
// good configuration, and ready again once restarted with the plugin.

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

describe('custom plugins in hybrid mode', () => {
  test('configured on the control plane, the plugin changes traffic on two data planes; one lacking it turns not ready until restarted with it', async () => {
    await using upstream = await startEchoUpstream('hybrid');
    await using plugins = await tempDir('turnpike-hybrid-plugins-');
    await using prefix = await tempDir('turnpike-dp-lacking-');
    await writeStampPlugin(plugins.path);
    const withPlugin = { TURNPIKE_PLUGINS: 'bundled,stamp', TURNPIKE_PLUGIN_PATHS: plugins.path };
    await using cp = await startControlPlaneNode(await pg.newDatabase(), certs, { env: withPlugin });
    await using dp1 = await startDataPlaneNode(cp.clusterPort, certs, { env: withPlugin });
    await using dp2 = await startDataPlaneNode(cp.clusterPort, certs, { env: withPlugin });
    let lacking = await startDataPlaneNode(cp.clusterPort, certs, { prefix: prefix.path });
    try {
      await serviceAndRoute(cp.adminUrl, 'svc', upstream.url, '/svc');
      for (const dp of [dp1, dp2, lacking]) {
        await eventually(
          () => http('GET', `${dp.proxyUrl}/svc`),
          (r) => r.status === 200,
        );
      }
      await eventually(
        () => dataPlanes(cp),
        (list) => list.length === 3 && list.every((d) => d.sync_status === 'normal'),
      );

      const plugin = await http('POST', `${cp.adminUrl}/services/svc/plugins`, {
        name: 'stamp',
        config: { value: 'hybrid' },
      });
      assert.equal(plugin.status, 201, plugin.text);
      for (const dp of [dp1, dp2]) {
        const res = await eventually(
          () => http('GET', `${dp.proxyUrl}/svc`),
          (r) => r.headers.get('x-stamped-by') === 'stamp 1.0.0',
        );
        assert.equal(res.status, 200);
        assert.equal(upstream.received.at(-1)?.headers['x-stamp'], 'hybrid');
      }

      // The data plane without it: not ready, naming the plugin, for an orchestrator to route around.
      const ready = await eventually(
        () => http('GET', `${lacking.statusUrl}/status/ready`),
        (r) => r.status === 503,
      );
      assert.match(
        (ready.body as { message: string }).message,
        /^plugin_set_incompatible: stamp plugin is in use but not enabled/,
      );
      // It keeps serving its last good configuration to whoever still reaches it.
      const stale = await http('GET', `${lacking.proxyUrl}/svc`);
      assert.equal(stale.status, 200);
      assert.equal(stale.headers.get('x-stamped-by'), null);
      // The control plane shows it, in /clustering/data-planes and in a metric.
      const listed = await eventually(
        () => dataPlanes(cp),
        (list) => list.filter((d) => d.sync_status === 'plugin_set_incompatible').length === 1,
      );
      const incompatible = listed.find((d) => d.sync_status === 'plugin_set_incompatible')!;
      assert.equal(incompatible.last_error_code, 'TP_PLUGIN_SET_INCOMPATIBLE');
      assert.match(incompatible.last_error ?? '', /stamp/);
      assert.equal(listed.filter((d) => d.sync_status === 'normal').length, 2, 'the others are unaffected');
      const metrics = (await http('GET', `${cp.statusUrl}/metrics`)).text;
      assert.match(
        metrics,
        new RegExp(`^turnpike_cluster_data_plane_compatible\\{node_id="${incompatible.id}"\\} 0$`, 'm'),
      );
      assert.equal((metrics.match(/^turnpike_cluster_data_plane_compatible\{.*\} 1$/gm) ?? []).length, 2);

      // Restarted with the plugin installed (same prefix, same node id): ready again, and stamping.
      await lacking[Symbol.asyncDispose]();
      lacking = await startDataPlaneNode(cp.clusterPort, certs, { prefix: prefix.path, env: withPlugin });
      await eventually(
        () => http('GET', `${lacking.statusUrl}/status/ready`),
        (r) => r.status === 200,
      );
      const stamped = await eventually(
        () => http('GET', `${lacking.proxyUrl}/svc`),
        (r) => r.headers.get('x-stamped-by') === 'stamp 1.0.0',
      );
      assert.equal(stamped.status, 200);
      const back = await eventually(
        () => dataPlanes(cp),
        (list) => list.find((d) => d.id === incompatible.id)?.sync_status === 'normal',
      );
      assert.equal(back.find((d) => d.id === incompatible.id)?.last_error, undefined);
      assert.match(
        (await http('GET', `${cp.statusUrl}/metrics`)).text,
        new RegExp(`^turnpike_cluster_data_plane_compatible\\{node_id="${incompatible.id}"\\} 1$`, 'm'),
      );
    } finally {
      await lacking[Symbol.asyncDispose]();
    }
  });
});
