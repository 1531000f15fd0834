import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CertificatePair } from '@turnpike/shared/cluster';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { eventually, http, type JsonResponse } from '../helpers/http.ts';
import { issueCertificate, makeAuthority } from '../helpers/pki.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import type { LogLine } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

// The control plane refuses data planes by their certificate — another cluster certificate in
// shared mode; in the pki modes one whose CN cluster_allowed_common_names does not admit, or
// (pki_check_cn, unset list) that does not share the control plane's parent domain — and says so: a log line with the reason, the address and the node id the data
// plane claims, and a counter by reason. Real certificates from a small CA made here.

let pg: TestPostgres;
let shared: ClusterCerts;
let dir: string;
/** PEM files: the CA, the control plane's certificate, and data plane certificates by CN. */
const files: Record<string, { cert: string; key: string }> = {};

async function writePair(name: string, pair: CertificatePair): Promise<{ cert: string; key: string }> {
  const paths = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  await writeFile(paths.cert, pair.certPem);
  await writeFile(paths.key, pair.keyPem, { mode: 0o600 });
  return paths;
}

before(async () => {
  pg = await startPostgres();
  shared = await genClusterCert();
  dir = await mkdtemp(join(tmpdir(), 'turnpike-pki-'));
  const ca = await makeAuthority('Turnpike Test Cluster CA');
  files.ca = await writePair('ca', ca);
  files.cp = await writePair('cp', await issueCertificate(ca, 'cp.cluster.test', ['cp.cluster.test']));
  for (const cn of ['dp-1.cluster.test', 'dp-2.cluster.test', 'dp-1.elsewhere.test']) {
    files[cn] = await writePair(cn, await issueCertificate(ca, cn));
  }
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await shared[Symbol.asyncDispose]();
  await pg[Symbol.asyncDispose]();
});

const pki = (mode = 'pki') => ({
  TURNPIKE_CLUSTER_MTLS: mode,
  TURNPIKE_CLUSTER_CA_CERT: files.ca!.cert,
});

function startPkiControlPlane(allowed?: string, mode = 'pki'): Promise<ControlPlaneNode> {
  return pg.newDatabase().then((dsn) =>
    startControlPlaneNode(dsn, files.cp!, {
      env: {
        ...pki(mode),
        ...(allowed === undefined ? {} : { TURNPIKE_CLUSTER_ALLOWED_COMMON_NAMES: allowed }),
      },
    }),
  );
}

let nodes = 0;
function startPkiDataPlane(
  cp: ControlPlaneNode,
  commonName: string,
): Promise<DataPlaneNode & { id: string }> {
  nodes += 1;
  const id = `00000000-0000-4000-8000-${String(nodes).padStart(12, '0')}`;
  return startDataPlaneNode(cp.clusterPort, files[commonName]!, {
    env: { ...pki(), TURNPIKE_CLUSTER_SERVER_NAME: 'cp.cluster.test', TURNPIKE_NODE_ID: id },
  }).then((dp) => Object.assign(dp, { id }));
}

async function listedIds(cp: ControlPlaneNode): Promise<string[]> {
  const body = (await http('GET', `${cp.adminUrl}/clustering/data-planes`)).body as {
    data: { id: string }[];
  };
  return body.data.map((d) => d.id);
}

async function refusalCount(cp: ControlPlaneNode, reason: string): Promise<number> {
  const metrics = (await http('GET', `${cp.statusUrl}/metrics`)).text;
  const line = new RegExp(`^turnpike_cluster_data_plane_refusals_total\\{reason="${reason}"\\} (\\d+)$`, 'm');
  return Number(line.exec(metrics)?.[1] ?? 0);
}

/**
 * The refused data plane: its refusal logged by the control plane (with the node id it claims,
 * when it made a call), counted, and it is never listed nor ready.
 */
async function assertRefused(
  cp: ControlPlaneNode,
  dp: DataPlaneNode & { id: string },
  reason: string,
  match: (line: LogLine) => boolean = (l) => l.node_id === dp.id,
): Promise<LogLine> {
  const line = await cp.waitForLog((l) => l.msg === 'data plane refused' && match(l));
  assert.equal(line.reason, reason);
  assert.equal(line.ip, '127.0.0.1');
  assert.equal(line.level, 40, 'a warning');
  assert.ok((await refusalCount(cp, reason)) >= 1);
  assert.equal((await listedIds(cp)).includes(dp.id), false);
  assert.equal((await http('GET', `${dp.statusUrl}/status/ready`)).status, 503);
  return line;
}

const served = (r: JsonResponse) => r.status === 200;

describe('hybrid mode: data planes refused by their certificate', () => {
  test('cluster_mtls = pki with cluster_allowed_common_names: a CN not on the list is refused', async () => {
    await using upstream = await startEchoUpstream('pki');
    await using cp = await startPkiControlPlane('dp-1.cluster.test');
    await using allowed = await startPkiDataPlane(cp, 'dp-1.cluster.test');
    await using other = await startPkiDataPlane(cp, 'dp-2.cluster.test');
    await http('POST', `${cp.adminUrl}/services`, { name: 'pki', url: upstream.url });
    await http('POST', `${cp.adminUrl}/services/pki/routes`, { paths: ['/pki'] });
    await eventually(() => http('GET', `${allowed.proxyUrl}/pki`), served);
    assert.deepEqual(await listedIds(cp), [allowed.id]);

    const line = await assertRefused(cp, other, 'common_name');
    assert.equal(line.common_name, 'dp-2.cluster.test');
    // It is told why, and says so at error level.
    const failed = await other.waitForLog((l) => l.msg === 'sync stream failed' && l.code === 16);
    assert.equal(failed.level, 50);
    assert.equal(failed.details, line.error);
    assert.equal(
      line.error,
      'data plane presented client certificate with incorrect CN during handshake, got: dp-2.cluster.test',
    );
    assert.equal((await http('GET', `${other.proxyUrl}/pki`)).status, 404, 'it never got a configuration');
  });

  test('cluster_mtls = pki_check_cn without the list: only CNs sharing the control plane’s parent domain get in', async () => {
    await using cp = await startPkiControlPlane(undefined, 'pki_check_cn');
    await using sibling = await startPkiDataPlane(cp, 'dp-2.cluster.test');
    await using stranger = await startPkiDataPlane(cp, 'dp-1.elsewhere.test');
    await eventually(
      () => listedIds(cp),
      (ids) => ids.includes(sibling.id),
    );
    const line = await assertRefused(cp, stranger, 'common_name');
    assert.equal(line.common_name, 'dp-1.elsewhere.test');
    assert.equal(await refusalCount(cp, 'common_name'), 1);
  });

  test('cluster_mtls = shared: another cluster certificate is refused, logged and counted', async () => {
    await using cp = await startControlPlaneNode(await pg.newDatabase(), shared);
    await using foreign = await genClusterCert();
    const id = '00000000-0000-4000-8000-00000000abcd';
    const dp = Object.assign(
      await startDataPlaneNode(cp.clusterPort, foreign, { env: { TURNPIKE_NODE_ID: id } }),
      { id },
    );
    await using _dp = dp;
    // It does not trust the control plane's certificate either, so it hangs up in the TLS
    // handshake, before any call: the control plane knows it by its address only.
    const line = await assertRefused(cp, dp, 'certificate', () => true);
    assert.equal(line.node_id, undefined);
    assert.match(String(line.error), /abandoned the TLS handshake/);
  });
});
