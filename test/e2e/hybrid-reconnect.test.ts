import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDao } from '@turnpike/control-plane/dao';
import { openDatastore } from '@turnpike/control-plane/store';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http, type JsonResponse } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import type { LogLine } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

// A rolling deploy of the control plane: its process is killed and started again on the same
// ports, under a data plane running with the default reconnect settings.

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
const timeOf = (line: LogLine) => Date.parse(String(line.time));
const portOf = (url: string) => Number(new URL(url).port);

interface DataPlaneItem {
  id: string;
  sync_status: string;
  config_version: number;
}

describe('hybrid mode: a control plane restarted in place', () => {
  test('sees its data plane back, at the latest version, within 2 s of listening again', async () => {
    await using upstream = await startEchoUpstream('rolling');
    const dsn = await pg.newDatabase();
    let cp: ControlPlaneNode = await startControlPlaneNode(dsn, certs);
    const ports = {
      clusterPort: cp.clusterPort,
      adminPort: portOf(cp.adminUrl),
      statusPort: portOf(cp.statusUrl),
    };
    await using dp = await startDataPlaneNode(cp.clusterPort, certs);
    const datastore = await openDatastore({ kind: 'postgres', connectionString: dsn });
    try {
      const service = await http('POST', `${cp.adminUrl}/services`, { name: 'rolling', url: upstream.url });
      assert.equal(service.status, 201, service.text);
      await http('POST', `${cp.adminUrl}/services/rolling/routes`, { paths: ['/before'] });
      await eventually(() => http('GET', `${dp.proxyUrl}/before`), served);

      cp.child.kill('SIGKILL');
      await cp.exited;
      // While it is down, the configuration moves on (another control plane, a migration job…).
      const dao = createDao(datastore, {
        pluginSchemas: () => undefined,
        secrets: ['reconnect-test-secret'],
      });
      await dao.entity('routes').insert({
        name: 'while-down',
        paths: ['/while-down'],
        service: { id: (service.body as { id: string }).id },
      });
      const latest = await dao.configVersion();
      // Down until the data plane's backoff has grown past 10 s: it is waiting that long now.
      const waiting = await dp.waitForLog(
        (l) => l.msg === 'sync stream closed; reconnecting' && Number(l.retry_in_ms) >= 10_000,
        90_000,
      );

      cp = await startControlPlaneNode(dsn, certs, ports);
      const listening = await cp.waitForLog((l) => l.msg === 'cluster listener started');
      await cp.waitForLog((l) => l.msg === 'Turnpike started');
      assert.equal(cp.lines.filter((l) => l.msg === 'cluster listener started').length, 1, 'logged once');
      const applied = await dp.waitForLog(
        (l) => l.msg === 'configuration applied' && Number(l.version) >= latest,
        30_000,
      );
      const backAfterMs = timeOf(applied) - timeOf(listening);
      const pending = Number(waiting.retry_in_ms) - (timeOf(listening) - timeOf(waiting));
      console.log(
        `control plane listening again → data plane at version ${applied.version} in ${backAfterMs} ms ` +
          `(target ≤ 2000 ms; its backoff had ${pending} ms left to wait)`,
      );
      // Generous for a loaded machine, and still short of what the backoff alone would wait.
      assert.ok(backAfterMs <= 5_000, `the data plane came back ${backAfterMs} ms after the control plane`);

      const [listed] = await eventually(
        async () =>
          ((await http('GET', `${cp.adminUrl}/clustering/data-planes`)).body as { data: DataPlaneItem[] })
            .data,
        (list) => list.length === 1 && list[0]?.sync_status === 'normal',
      );
      assert.equal(listed?.config_version, latest);
      assert.equal((await http('GET', `${dp.proxyUrl}/while-down`)).status, 200);
    } finally {
      await datastore.close();
      await cp[Symbol.asyncDispose]();
    }
  });
});
