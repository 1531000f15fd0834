/**
 * Vault references end to end: a control plane on PostgreSQL stores `{vault://…}` references as
 * written; a data plane process resolves them from its own environment when it applies the
 * version, serves the certificate they name, reports the ones it cannot resolve, and holds the
 * control plane's configuration hash.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { generateClusterCertificate } from '@turnpike/shared/cluster';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

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

/** The certificate the data plane presents for `servername`, as its SHA-256 fingerprint. */
function presented(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

interface ControlPlaneStatus {
  control_plane: { config_version: number; config_hash: string };
}

async function converged(cp: ControlPlaneNode, dp: DataPlaneNode): Promise<string> {
  const target = ((await http('GET', `${cp.statusUrl}/status`)).body as ControlPlaneStatus).control_plane;
  try {
    await eventually(
      async () =>
        (await http('GET', `${dp.statusUrl}/status`)).body as { data_plane?: { config_hash: string } },
      (s) => s.data_plane?.config_hash === target.config_hash,
    );
  } catch (err) {
    // What each plane did meanwhile: the cause of a data plane left behind.
    const cluster = (await http('GET', `${cp.adminUrl}/clustering/data-planes`)).body;
    const tail = (node: ControlPlaneNode | DataPlaneNode) =>
      node.lines.slice(-30).map((l) => JSON.stringify(l));
    throw new Error(
      `${(err as Error).message}\ntarget ${JSON.stringify(target)}\ncluster ${JSON.stringify(cluster)}\n` +
        `control plane:\n${tail(cp).join('\n')}\ndata plane:\n${tail(dp).join('\n')}`,
    );
  }
  return target.config_hash;
}

describe('vault references: stored by the control plane, resolved by the data plane', () => {
  test('the data plane serves the certificate its environment holds, reports what it lacks, and keeps the control plane’s hash', async () => {
    const site = await generateClusterCertificate({ commonName: 'vault.example.test', days: 1 });
    const secrets = { TURNPIKE_SECRETS_DEFAULT: 'e2e-vaults-secret-key' };
    await using cp = await startControlPlaneNode(await pg.newDatabase(), certs, { env: secrets });
    const proxyTls = await freePort();
    await using dp = await startDataPlaneNode(cp.clusterPort, certs, {
      env: {
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyTls} ssl`,
        // What the env vault reads: SITE_ + name for the vault of prefix `site`, SITE_KEY for env directly.
        SITE_CERT: site.certPem,
        SITE_KEY: site.keyPem,
      },
    });
    const file = `_format_version: "3.0"
vaults:
- name: env
  prefix: site
  config: { prefix: SITE_ }
certificates:
- cert: "{vault://site/cert}"
  key: "{vault://env/site-key}"
  snis: [{ name: vault.example.test }]
- cert: "{vault://env/missing-cert}"
  key: "{vault://env/site-key}"
  snis: [{ name: missing.example.test }]
`;
    const loaded = await fetch(`${cp.adminUrl}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: file,
    });
    assert.equal(loaded.status, 201, await loaded.text());

    // The control plane stores and sends the references; the data plane's hash is the control plane's.
    const stored = (await http('GET', `${cp.adminUrl}/certificates`)).body as { data: { key: string }[] };
    assert.ok(stored.data.every((c) => c.key === '{vault://env/site-key}'));
    await converged(cp, dp);

    const expected = new X509Certificate(site.certPem).fingerprint256;
    assert.equal(
      await eventually(
        () => presented(proxyTls, 'vault.example.test'),
        (f) => f === expected,
      ),
      expected,
    );
    // The unresolved one is Kong's warning, and its name falls back to the default certificate.
    const warning = await dp.waitForLog((l) =>
      JSON.stringify(l).includes('unable to resolve reference {vault://env/missing-cert}'),
    );
    assert.match(JSON.stringify(warning), /could not get value from external vault \(no value found\)/);
    assert.notEqual(await presented(proxyTls, 'missing.example.test'), expected);

    // A delta after the resolved version still builds on the control plane's hash.
    const write = await http('POST', `${cp.adminUrl}/services`, { name: 'after', url: 'http://127.0.0.1:9' });
    assert.equal(write.status, 201, write.text);
    await converged(cp, dp);
    assert.equal(await presented(proxyTls, 'vault.example.test'), expected);

    // Secrets are never logged, on either plane.
    for (const node of [cp, dp]) {
      const logs = node.lines.map((l) => JSON.stringify(l)).join('\n') + node.stderr();
      assert.ok(!logs.includes('PRIVATE KEY'), 'no private key in the logs');
    }
  });
});
