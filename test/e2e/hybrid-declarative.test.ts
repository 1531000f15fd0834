/**
 * A data plane with `declarative_config`, as Kong's data planes can have: with no cache file and
 * no control plane answering it serves the file; once a control plane answers, it follows it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { genClusterCert, startControlPlaneNode, startDataPlaneNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { runTurnpike } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

test('a data plane boots from declarative_config without cache or control plane, then follows the control plane', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-dp-declarative-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await using certs = await genClusterCert();
  await using fromFile = await startEchoUpstream('file');
  await using fromCp = await startEchoUpstream('control-plane');
  const file = join(dir, 'kong.yml');
  await writeFile(
    file,
    `_format_version: "3.0"\nservices:\n  - name: local\n    url: ${fromFile.url}\n    routes:\n      - name: local\n        paths: [/local]\n`,
  );
  // Nothing listens on the cluster port yet.
  const clusterPort = await freePort();
  await using dp = await startDataPlaneNode(clusterPort, certs, {
    env: { TURNPIKE_DECLARATIVE_CONFIG: file, TURNPIKE_CLUSTER_MAX_RECONNECT_DELAY: '2' },
  });
  assert.ok(
    dp.lines.some((l) => /serving the declarative configuration/.test(l.msg) && l.origin === file),
    'the data plane says it serves the file',
  );
  const served = await http('GET', `${dp.proxyUrl}/local/x`);
  assert.equal(served.status, 200, served.text);
  assert.equal((served.body as { upstream: string }).upstream, 'file');
  assert.equal((await http('GET', `${dp.statusUrl}/status/ready`)).status, 200, 'ready on the file');

  await using cp = await startControlPlaneNode('memory', certs, { clusterPort });
  assert.equal(
    (await http('POST', `${cp.adminUrl}/services`, { name: 'central', url: fromCp.url })).status,
    201,
  );
  assert.equal(
    (await http('POST', `${cp.adminUrl}/services/central/routes`, { paths: ['/central'] })).status,
    201,
  );
  const followed = await eventually(
    () => http('GET', `${dp.proxyUrl}/central/y`),
    (r) => r.status === 200,
    30_000,
  );
  assert.equal((followed.body as { upstream: string }).upstream, 'control-plane');
  assert.equal(
    (await http('GET', `${dp.proxyUrl}/local/x`)).status,
    404,
    "the control plane's config replaced the file",
  );
});

test('a data plane refuses to start on a declarative_config that does not parse', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-dp-declarative-bad-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await using certs = await genClusterCert();
  const file = join(dir, 'kong.yml');
  await writeFile(file, '_format_version: "3.0"\nroutes:\n  - name: r\n    paths: [nope]\n');
  const env = {
    TURNPIKE_ROLE: 'data_plane',
    TURNPIKE_CLUSTER_CERT: certs.cert,
    TURNPIKE_CLUSTER_CERT_KEY: certs.key,
    TURNPIKE_DECLARATIVE_CONFIG: file,
    TURNPIKE_PREFIX: join(dir, 'prefix'),
    TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
  };
  const start = await runTurnpike(['start'], env);
  assert.notEqual(start.code, 0);
  assert.match(start.stderr, new RegExp(`error parsing declarative config file ${file}`));
  const check = await runTurnpike(['check'], env);
  assert.notEqual(check.code, 0);
  assert.match(check.stderr, /error parsing declarative config file/);
});
