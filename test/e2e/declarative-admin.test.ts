/**
 * Kong 3.10's declarative behaviours through the Admin API of a real control-plane process, on
 * PostgreSQL and on the embedded datastore (PGlite): 1.1 / 2.1 files, YAML merge keys, vaults,
 * multipart bodies, flatten_errors, check_hash, error precedence, plugin field paths.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  genClusterCert,
  startControlPlaneNode,
} from '../helpers/cluster.ts';
import { testOnEach } from '../helpers/each-node.ts';
import { http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>;

let pg: TestPostgres;
let certs: ClusterCerts;
let pgliteDir: string;
const nodes: { name: string; cp: ControlPlaneNode }[] = [];

before(async () => {
  pg = await startPostgres();
  certs = await genClusterCert();
  pgliteDir = await mkdtemp(join(tmpdir(), 'turnpike-declarative-pglite-'));
  // Certificates' keys are encrypted at rest: the control plane needs secrets_default.
  const env = { TURNPIKE_SECRETS_DEFAULT: 'e2e-declarative-admin-secret' };
  nodes.push({ name: 'PostgreSQL', cp: await startControlPlaneNode(await pg.newDatabase(), certs, { env }) });
  nodes.push({ name: 'PGlite', cp: await startControlPlaneNode(`pglite://${pgliteDir}`, certs, { env }) });
});
after(async () => {
  for (const { cp } of nodes) await cp[Symbol.asyncDispose]();
  await rm(pgliteDir, { recursive: true, force: true });
  await certs[Symbol.asyncDispose]();
  await pg[Symbol.asyncDispose]();
});

async function postYaml(cp: ControlPlaneNode, path: string, text: string) {
  const res = await fetch(`${cp.adminUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: text,
  });
  const body = await res.text();
  return { status: res.status, body: (body === '' ? undefined : JSON.parse(body)) as Json };
}

async function get(cp: ControlPlaneNode, path: string) {
  const res = await http('GET', `${cp.adminUrl}${path}`);
  return { status: res.status, body: res.body as Json };
}

/** Each case runs on both control planes, one after the other. */
function onBoth(title: string, fn: (cp: ControlPlaneNode) => Promise<void>) {
  testOnEach(nodes, title, (node) => fn(node.cp));
}

describe('POST /config on a control plane process, PostgreSQL and PGlite', () => {
  for (const version of ['1.1', '2.1']) {
    onBoth(
      `a ${version} file loads; its regex-looking paths are stored with ~, as Kong 3 reads them`,
      async (cp) => {
        const res = await postYaml(
          cp,
          '/config',
          `_format_version: "${version}"
services:
- name: legacy
  url: http://legacy.test:8080
  routes:
  - name: legacy-users
    paths: [/users/(?<id>\\d+)$, /health, /a/./b]
`,
        );
        assert.equal(res.status, 201, JSON.stringify(res.body));
        const route = await get(cp, '/routes/legacy-users');
        assert.deepEqual(route.body.paths, ['~/users/(?<id>\\d+)$', '/health', '/a/b']);
        const exported = (await get(cp, '/config')).body.config as string;
        assert.match(exported, /^_format_version: "3\.0"/);
      },
    );
  }

  onBoth('YAML merge keys (<<: *anchor) are merged', async (cp) => {
    const res = await postYaml(
      cp,
      '/config',
      `_format_version: "3.0"
_ignore:
- &timeouts { connect_timeout: 1234, read_timeout: 4321 }
services:
- name: merged
  host: merged.test
  <<: *timeouts
  retries: 1
`,
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const service = (await get(cp, '/services/merged')).body;
    assert.deepEqual([service.connect_timeout, service.read_timeout, service.retries], [1234, 4321, 1]);
  });

  onBoth('vaults are stored, listed by prefix, exported, and references kept as written', async (cp) => {
    const res = await postYaml(
      cp,
      '/config',
      `_format_version: "3.0"
vaults:
- name: env
  prefix: site-secrets
  description: TLS material from the environment
  config: { prefix: SITE_ }
certificates:
- id: 5b8d2f3e-8c4d-4a5e-9f1a-0c2b3d4e5f60
  cert: "{vault://site-secrets/cert}"
  key: "{vault://env/site-key}"
  snis: [{ name: vault.example.test }]
`,
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const vault = (await get(cp, '/vaults/site-secrets')).body;
    assert.equal(vault.name, 'env');
    assert.deepEqual(vault.config, { prefix: 'SITE_' });
    assert.equal((await get(cp, '/vaults')).body.data.length, 1);
    const certificate = (await get(cp, '/certificates/5b8d2f3e-8c4d-4a5e-9f1a-0c2b3d4e5f60')).body;
    assert.equal(certificate.key, '{vault://env/site-key}');
    const exported = (await get(cp, '/config')).body.config as string;
    assert.match(exported, /vaults:\n {2}- config:\n {6}prefix: SITE_\n/);
    assert.match(exported, /prefix: site-secrets/);
    // The Admin API refuses what Kong refuses.
    const refused = await http('POST', `${cp.adminUrl}/vaults`, { name: 'aws', prefix: 'other' });
    assert.equal(refused.status, 400);
    assert.deepEqual((refused.body as Json).fields, { name: "vault 'aws' is not installed" });
  });

  onBoth('multipart/form-data, as curl -F config=@kong.yml sends it', async (cp) => {
    const form = new FormData();
    form.append(
      'config',
      new Blob(['_format_version: "3.0"\nconsumers:\n- username: from-a-file\n']),
      'kong.yml',
    );
    const res = await fetch(`${cp.adminUrl}/config`, { method: 'POST', body: form });
    assert.equal(res.status, 201, await res.text());
    assert.equal((await get(cp, '/consumers/from-a-file')).status, 200);
  });

  onBoth('?check_hash=1: 304 for the file loaded last, until anything is written', async (cp) => {
    const text = '_format_version: "1.1"\nconsumers:\n- username: bobby_tables\n';
    assert.equal((await postYaml(cp, '/config?check_hash=1', text)).status, 201);
    const again = await postYaml(cp, '/config?check_hash=1', text);
    assert.equal(again.status, 304);
    assert.equal(again.body, undefined);
    assert.equal((await http('POST', `${cp.adminUrl}/consumers`, { username: 'new' })).status, 201);
    assert.equal((await postYaml(cp, '/config?check_hash=1', text)).status, 201);
  });

  onBoth('an unknown plugin and a duplicate name are both reported, with Kong’s message', async (cp) => {
    const res = await postYaml(
      cp,
      '/config',
      `_format_version: "3.0"
services:
- name: twice
  host: a.test
  plugins:
  - name: aws-lambda
- name: twice
  host: b.test
`,
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 14);
    assert.equal(res.body.name, 'invalid declarative configuration');
    assert.deepEqual(res.body.fields, {
      services: [
        {
          plugins: [
            { name: "plugin 'aws-lambda' not enabled; add it to the 'plugins' configuration property" },
          ],
        },
        "uniqueness violation: 'services' entity with name set to 'twice' already declared",
      ],
    });
    assert.equal(
      res.body.message,
      `declarative config is invalid: {services={{plugins={{name="plugin 'aws-lambda' not enabled; add it to the 'plugins' configuration property"}}},"uniqueness violation: 'services' entity with name set to 'twice' already declared"}}`,
    );
  });

  onBoth(
    '?flatten_errors=1: Kong’s flattened_errors, and plugin field paths read config.second …',
    async (cp) => {
      const res = await postYaml(
        cp,
        '/config?flatten_errors=1',
        `_format_version: "3.0"
services:
- name: limited
  host: limited.test
  tags: [svc-01]
  plugins:
  - name: rate-limiting
    tags: [plugin-01]
    config: { policy: local }
`,
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 14);
      assert.deepEqual(res.body.fields, {});
      assert.deepEqual(res.body.flattened_errors, [
        {
          entity_type: 'plugin',
          entity_name: 'rate-limiting',
          entity_tags: ['plugin-01'],
          entity: { name: 'rate-limiting', tags: ['plugin-01'], config: { policy: 'local' } },
          errors: [
            {
              type: 'entity',
              message:
                "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
            },
          ],
        },
      ]);
    },
  );
});
