/**
 * oauth2 end to end, on PostgreSQL and on the embedded datastore (PGlite): client applications
 * through Kong's nested Admin endpoints (`/consumers/{c}/oauth2`, `/oauth2`), tokens through
 * `/oauth2_tokens`, stored (migration 005_oauth2), synced to a data-plane process whose proxy
 * authenticates them; the proxy's `/oauth2/token` and `/oauth2/authorize` as a Kong hybrid data
 * plane answers them (no database: Kong's 500 once a grant would write; every refusal before).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { testOnEach } from '../helpers/each-node.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startTurnpike } from '../helpers/turnpike.ts';
import { type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>;

interface Node {
  readonly name: string;
  readonly cp: ControlPlaneNode;
  readonly dp: DataPlaneNode;
  /** The data plane's ssl listener (its self-signed default certificate). */
  readonly httpsUrl: string;
  readonly proxyUrl: string;
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

let postgres: TestPostgres;
let certs: ClusterCerts;
let pgliteDir: string;
let upstream: RecordingUpstream;
const nodes: Node[] = [];

before(async () => {
  postgres = await startPostgres();
  certs = await genClusterCert();
  upstream = await recordingUpstream();
  pgliteDir = await mkdtemp(join(tmpdir(), 'turnpike-oauth2-pglite-'));
  const env = { TURNPIKE_SECRETS_DEFAULT: 'e2e-oauth2-secret' };
  for (const [name, target] of [
    ['PostgreSQL', await postgres.newDatabase()],
    ['PGlite', `pglite://${pgliteDir}`],
  ] as const) {
    const cp = await startControlPlaneNode(target, certs, { env });
    const [plain, tls] = [await freePort(), await freePort()];
    const dp = await startDataPlaneNode(cp.clusterPort, certs, {
      // trusted_ips: the test client stands for a TLS-terminating load balancer.
      env: {
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${tls} ssl`,
        TURNPIKE_TRUSTED_IPS: '127.0.0.1',
      },
    });
    nodes.push({ name, cp, dp, proxyUrl: `http://127.0.0.1:${plain}`, httpsUrl: `https://127.0.0.1:${tls}` });
  }
});

after(async () => {
  for (const { cp, dp } of nodes) {
    await dp[Symbol.asyncDispose]();
    await cp[Symbol.asyncDispose]();
  }
  await rm(pgliteDir, { recursive: true, force: true });
  await upstream?.[Symbol.asyncDispose]();
  await certs?.[Symbol.asyncDispose]();
  await postgres?.[Symbol.asyncDispose]();
});

/** Each case runs on both datastores, one after the other. */
function onBoth(title: string, fn: (node: Node) => Promise<void>) {
  testOnEach(nodes, title, fn);
}

async function admin(node: Node, method: string, path: string, body?: unknown) {
  const res = await http(method, `${node.cp.adminUrl}${path}`, body);
  return { status: res.status, body: res.body as Json };
}

async function proxy(node: Node, path: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  const res = await fetch(`${node.proxyUrl}${path}`, { ...init, headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: (text.startsWith('{') ? JSON.parse(text) : text) as Json,
  };
}

describe('oauth2 on a control plane and a data plane, PostgreSQL and PGlite', () => {
  onBoth('client applications and tokens go through the Admin API as Kong', async (node) => {
    assert.equal(
      (await admin(node, 'POST', '/consumers', { username: 'alice', custom_id: 'a-1' })).status,
      201,
    );
    const app = await admin(node, 'POST', '/consumers/alice/oauth2', {
      name: 'Test App',
      client_id: 'clientid123',
      client_secret: 'secret123',
      redirect_uris: ['http://google.com/kong'],
    });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    assert.deepEqual(
      [app.body.client_type, app.body.hash_secret, app.body.client_secret],
      ['confidential', false, 'secret123'],
    );
    const generated = await admin(node, 'POST', '/consumers/alice/oauth2', {
      name: 'Hashed',
      hash_secret: true,
      client_secret: 'hashed-secret',
      redirect_uris: ['https://example.test/cb'],
    });
    assert.equal(generated.status, 201, JSON.stringify(generated.body));
    assert.ok(generated.body.client_id.length >= 32);
    assert.match(generated.body.client_secret, /^\$pbkdf2-sha512\$i=10000,l=32\$/);
    assert.equal((await admin(node, 'GET', '/oauth2/clientid123')).body.name, 'Test App');
    assert.equal((await admin(node, 'GET', '/consumers/alice/oauth2')).body.data.length, 2);

    const badUri = await admin(node, 'POST', '/consumers/alice/oauth2', {
      name: 'x',
      redirect_uris: ['not-a-uri'],
    });
    assert.equal(badUri.status, 400);
    assert.deepEqual(badUri.body.fields, { redirect_uris: ["cannot parse 'not-a-uri'"] });
    const fragment = await admin(node, 'POST', '/consumers/alice/oauth2', {
      name: 'x',
      redirect_uris: ['http://a.test/#x'],
    });
    assert.deepEqual(fragment.body.fields, { redirect_uris: ["fragment not allowed in 'http://a.test/#x'"] });
    const duplicate = await admin(node, 'POST', '/consumers/alice/oauth2', {
      name: 'y',
      client_id: 'clientid123',
    });
    assert.equal(duplicate.status, 409);
    const noName = await admin(node, 'POST', '/consumers/alice/oauth2', {});
    assert.deepEqual(noName.body.fields, { name: 'required field missing' });

    const service = await admin(node, 'POST', '/services', {
      name: 'oauth',
      url: `http://127.0.0.1:${upstream.port}`,
    });
    assert.equal(service.status, 201);
    const token = await admin(node, 'POST', '/oauth2_tokens', {
      credential: { id: app.body.id },
      service: { id: service.body.id },
      expires_in: 3600,
      scope: 'email',
      authenticated_userid: 'user-1',
      access_token: 'alice-token',
    });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    assert.equal(token.body.token_type, 'bearer');
    const auto = await admin(node, 'POST', '/oauth2_tokens', {
      credential: { id: app.body.id },
      expires_in: 0,
    });
    assert.equal(auto.status, 201);
    assert.ok(auto.body.access_token.length >= 32);
    assert.equal((await admin(node, 'GET', '/oauth2_tokens/alice-token')).body.id, token.body.id);
    const noExpiry = await admin(node, 'POST', '/oauth2_tokens', { credential: { id: app.body.id } });
    assert.deepEqual(noExpiry.body.fields, { expires_in: 'required field missing' });
    assert.equal((await admin(node, 'DELETE', `/oauth2_tokens/${auto.body.id}`)).status, 204);
  });

  onBoth("plugin configurations are validated in Kong's words", async (node) => {
    const none = await admin(node, 'POST', '/services/oauth/plugins', { name: 'oauth2' });
    assert.equal(none.status, 400);
    assert.equal(
      none.body.fields.config,
      'at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant',
    );
    const scopes = await admin(node, 'POST', '/services/oauth/plugins', {
      name: 'oauth2',
      config: { enable_authorization_code: true, mandatory_scope: true },
    });
    assert.equal(scopes.body.fields.config.scopes, 'required field missing');
    const ttl = await admin(node, 'POST', '/services/oauth/plugins', {
      name: 'oauth2',
      config: { enable_password_grant: true, refresh_token_ttl: 252979200 },
    });
    assert.equal(ttl.body.fields.config.refresh_token_ttl, 'value should be between 0 and 100000000');
  });

  onBoth(
    'the data plane authenticates the synced tokens and answers the endpoints as Kong hybrid',
    async (node) => {
      assert.equal((await admin(node, 'POST', '/consumers', { username: 'anon' })).status, 201);
      const routes: [string, Record<string, unknown>][] = [
        [
          '/oauth-main',
          { enable_client_credentials: true, scopes: ['email'], provision_key: 'prov', realm: 'api' },
        ],
        ['/oauth-hidden', { enable_password_grant: true, hide_credentials: true }],
        ['/oauth-anonymous', { enable_password_grant: true, anonymous: 'anon' }],
        ['/oauth-terminated', { enable_client_credentials: true, accept_http_if_already_terminated: true }],
      ];
      for (const [path, config] of routes) {
        const name = path.slice(1);
        assert.equal(
          (await admin(node, 'POST', '/services/oauth/routes', { name, paths: [path] })).status,
          201,
        );
        const plugin = await admin(node, 'POST', `/routes/${name}/plugins`, { name: 'oauth2', config });
        assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
        assert.equal(plugin.body.config.provision_key.length > 0, true);
      }
      // The data plane has the configuration once the last route answers for its plugin.
      await eventually(
        () => proxy(node, '/oauth-terminated'),
        (r) => r.status === 401,
        30_000,
      );

      const missing = await proxy(node, '/oauth-main');
      assert.deepEqual(
        [missing.status, missing.json],
        [401, { error: 'invalid_request', error_description: 'The access token is missing' }],
      );
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"');

      const ok = await proxy(node, '/oauth-main/x', { authorization: 'Bearer alice-token' });
      assert.equal(ok.status, 200);
      const seen = upstream.received.at(-1)!;
      assert.equal(seen.headers['x-consumer-username'], 'alice');
      assert.equal(seen.headers['x-credential-identifier'], 'clientid123');
      assert.equal(seen.headers['x-authenticated-scope'], 'email');
      assert.equal(seen.headers['x-authenticated-userid'], 'user-1');
      assert.equal(seen.headers.authorization, 'Bearer alice-token');
      assert.equal((await proxy(node, '/oauth-main/x?access_token=alice-token')).status, 200);

      const before = upstream.received.length;
      const invalid = await proxy(node, '/oauth-main', { authorization: 'Bearer nope' });
      assert.deepEqual(
        [invalid.status, invalid.json],
        [401, { error: 'invalid_token', error_description: 'The access token is invalid or has expired' }],
      );
      assert.equal(
        invalid.headers.get('www-authenticate'),
        'Bearer realm="api", error="invalid_token", error_description="The access token is invalid or has expired"',
      );
      assert.equal(upstream.received.length, before);

      const hidden = await proxy(node, '/oauth-hidden/x?access_token=alice-token&keep=1');
      assert.equal(hidden.status, 200);
      assert.equal(upstream.received.at(-1)!.url, '/x?keep=1');

      const anonymous = await proxy(node, '/oauth-anonymous');
      assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'anon');
      assert.equal(anonymous.status, 200);

      // The endpoints: refusals as Kong, and Kong hybrid's 500 where a grant would write a token.
      const post = async (
        path: string,
        fields: Record<string, string>,
        headers: Record<string, string> = {},
      ) => {
        const res = await undiciFetch(`${node.httpsUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(fields).toString(),
          dispatcher: insecure,
        });
        return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
      };
      const get = await proxy(node, '/oauth-main/oauth2/token');
      assert.deepEqual(
        [get.status, get.json],
        [
          405,
          {
            error: 'invalid_method',
            error_description: 'The HTTP method GET is invalid for the token endpoint',
          },
        ],
      );
      const plain = await proxy(
        node,
        '/oauth-main/oauth2/token',
        { 'content-type': 'application/x-www-form-urlencoded' },
        {
          method: 'POST',
          body: 'grant_type=client_credentials',
        },
      );
      assert.deepEqual(
        [plain.status, plain.json],
        [400, { error: 'access_denied', error_description: 'You must use HTTPS' }],
      );
      assert.equal(plain.headers.get('cache-control'), 'no-store');
      const terminated = (path: string) =>
        proxy(
          node,
          path,
          { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
          {
            method: 'POST',
            body: 'grant_type=client_credentials&client_id=clientid123&client_secret=wrong',
          },
        );
      // Behind a trusted TLS terminator with accept_http_if_already_terminated, plain HTTP passes the check.
      assert.deepEqual((await terminated('/oauth-terminated/oauth2/token')).json, {
        error: 'invalid_client',
        error_description: 'Invalid client authentication',
      });
      assert.equal((await terminated('/oauth-main/oauth2/token')).json.error, 'access_denied');

      const client = { client_id: 'clientid123', client_secret: 'secret123' };
      const unsupported = await post('/oauth-main/oauth2/token', { grant_type: 'password', ...client });
      assert.deepEqual(
        [unsupported.status, unsupported.json],
        [400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' }],
      );
      const basic = `Basic ${Buffer.from('clientid123:wrong').toString('base64')}`;
      const wrong = await post(
        '/oauth-main/oauth2/token',
        { grant_type: 'client_credentials' },
        { authorization: basic },
      );
      assert.deepEqual(
        [wrong.status, wrong.json],
        [401, { error: 'invalid_client', error_description: 'Invalid client authentication' }],
      );
      assert.equal(wrong.headers.get('www-authenticate'), 'Basic realm="OAuth2.0"');
      const scope = await post('/oauth-main/oauth2/token', {
        grant_type: 'client_credentials',
        scope: 'admin',
        ...client,
      });
      assert.deepEqual(scope.json, {
        error: 'invalid_scope',
        error_description: '"admin" is an invalid scope',
      });
      const provision = await post('/oauth-main/oauth2/authorize', { response_type: 'code', ...client });
      assert.deepEqual(provision.json, {
        error: 'invalid_provision_key',
        error_description: 'Invalid provision_key',
      });

      // A grant that would write a token: a data plane has no database (README), as in Kong hybrid.
      const issuing = await post('/oauth-main/oauth2/token', { grant_type: 'client_credentials', ...client });
      assert.deepEqual([issuing.status, issuing.json], [500, { message: 'An unexpected error occurred' }]);
      assert.equal(upstream.received.length, before + 2, 'an endpoint request reached the service');
    },
  );

  onBoth(
    'a declarative file carries oauth2_credentials under consumers and oauth2_tokens at the top',
    async (node) => {
      const res = await fetch(`${node.cp.adminUrl}/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body: `_format_version: "3.0"
services:
- name: declared
  url: http://127.0.0.1:${upstream.port}
  routes:
  - name: declared
    paths: [/declared]
    plugins:
    - name: oauth2
      config:
        enable_client_credentials: true
consumers:
- username: carol
  oauth2_credentials:
  - name: carol-app
    client_id: carol-client
    client_secret: carol-secret
    redirect_uris: [https://carol.test/cb]
oauth2_tokens:
- credential: carol-client
  service: declared
  access_token: carol-token
  expires_in: 0
  scope: read
`,
      });
      assert.equal(res.status, 201, await res.text());
      assert.equal((await admin(node, 'GET', '/oauth2/carol-client')).body.name, 'carol-app');
      const ok = await eventually(
        () => proxy(node, '/declared', { authorization: 'Bearer carol-token' }),
        (r) => r.status === 200,
        30_000,
      );
      assert.equal(ok.status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'carol');
      assert.equal(upstream.received.at(-1)!.headers['x-authenticated-scope'], 'read');
      // alice's token went with the configuration the file replaced.
      assert.equal((await proxy(node, '/declared', { authorization: 'Bearer alice-token' })).status, 401);
      const exported = (await admin(node, 'GET', '/config')).body.config as string;
      assert.match(exported, /oauth2_credentials:/);
      assert.match(exported, /access_token: carol-token/);
    },
  );
});

describe('oauth2 on a DB-less node', () => {
  test("checks the declarative file's tokens, and answers an issuing grant as Kong DB-less", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-oauth2-dbless-'));
    try {
      const file = join(dir, 'kong.yml');
      await writeFile(
        file,
        `_format_version: "3.0"
services:
- name: s
  url: http://127.0.0.1:${upstream.port}
  routes:
  - name: r
    paths: [/dbless]
    plugins:
    - name: oauth2
      config: { enable_client_credentials: true, accept_http_if_already_terminated: true }
consumers:
- username: dora
  oauth2_credentials:
  - { name: app, client_id: dora-client, client_secret: dora-secret }
oauth2_tokens:
- { credential: dora-client, service: s, access_token: dora-token, expires_in: 0 }
`,
      );
      const [admin, proxyPort, status] = [await freePort(), await freePort(), await freePort()];
      await using _node = await startTurnpike({
        env: {
          TURNPIKE_DATABASE: 'off',
          TURNPIKE_DECLARATIVE_CONFIG: file,
          TURNPIKE_TRUSTED_IPS: '127.0.0.1',
          TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
          TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
          TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
        },
      });
      const url = `http://127.0.0.1:${proxyPort}`;
      const ok = await eventually(
        () => fetch(`${url}/dbless`, { headers: { authorization: 'Bearer dora-token' } }),
        (r) => r.status === 200,
        30_000,
      );
      assert.equal(ok.status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'dora');
      assert.equal(
        (await fetch(`${url}/dbless`, { headers: { authorization: 'Bearer other' } })).status,
        401,
      );
      const issuing = await fetch(`${url}/dbless/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
        body: 'grant_type=client_credentials&client_id=dora-client&client_secret=dora-secret',
      });
      assert.deepEqual(
        [issuing.status, await issuing.json()],
        [500, { message: 'An unexpected error occurred' }],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
