/**
 * hmac-auth end to end, on PostgreSQL and on the embedded datastore (PGlite): credentials through
 * Kong's nested Admin endpoints (`/consumers/{c}/hmac-auth`, `/hmac-auths`) of a control-plane
 * process, stored (secret encrypted at rest), synced to a data-plane process, and signed requests
 * through that data plane's proxy to a recording upstream; then the same from a declarative file.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
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
  readonly dsn: string | undefined;
}

let postgres: TestPostgres;
let certs: ClusterCerts;
let pgliteDir: string;
let upstream: RecordingUpstream;
const nodes: Node[] = [];

before(async () => {
  postgres = await startPostgres();
  certs = await genClusterCert();
  upstream = await recordingUpstream();
  pgliteDir = await mkdtemp(join(tmpdir(), 'turnpike-hmac-pglite-'));
  const env = { TURNPIKE_SECRETS_DEFAULT: 'e2e-hmac-auth-secret' };
  const dsn = await postgres.newDatabase();
  for (const [name, target] of [
    ['PostgreSQL', dsn],
    ['PGlite', `pglite://${pgliteDir}`],
  ] as const) {
    const cp = await startControlPlaneNode(target, certs, { env });
    const dp = await startDataPlaneNode(cp.clusterPort, certs);
    nodes.push({ name, cp, dp, dsn: name === 'PostgreSQL' ? dsn : undefined });
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

function sign(algorithm: string, secret: string, data: string): string {
  return createHmac(algorithm.replace('hmac-', ''), secret).update(data).digest('base64');
}

/** A request to the data plane signed as Kong's hmac-auth clients sign: date and request-line. */
async function signedRequest(
  node: Node,
  path: string,
  options: {
    username?: string;
    secret?: string;
    algorithm?: string;
    method?: string;
    body?: string;
    headerName?: string;
    extra?: Record<string, string>;
  } = {},
) {
  const { username = 'bob', secret = 'bob-secret', algorithm = 'hmac-sha256', method = 'GET' } = options;
  const date = new Date().toUTCString();
  const headers: Record<string, string> = { date, ...options.extra };
  let signed = `date: ${date}\n${method} ${path} HTTP/1.1`;
  let names = 'date request-line';
  if (options.body !== undefined) {
    headers.digest = `SHA-256=${createHash('sha256').update(options.body).digest('base64')}`;
    signed += `\ndigest: ${headers.digest}`;
    names += ' digest';
  }
  const signature = sign(algorithm, secret, signed);
  headers[options.headerName ?? 'authorization'] =
    `hmac username="${username}", algorithm="${algorithm}", headers="${names}", signature="${signature}"`;
  const res = await fetch(`${node.dp.proxyUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: text.startsWith('{') ? JSON.parse(text) : text,
  };
}

describe('hmac-auth on a control plane and a data plane, PostgreSQL and PGlite', () => {
  onBoth(
    'credentials are created, read, listed and refused through the nested endpoints as Kong',
    async (node) => {
      assert.equal(
        (await admin(node, 'POST', '/consumers', { username: 'bob', custom_id: 'b-1' })).status,
        201,
      );
      const created = await admin(node, 'POST', '/consumers/bob/hmac-auth', {
        username: 'bob',
        secret: 'bob-secret',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.username, 'bob');
      assert.equal(created.body.secret, 'bob-secret');
      assert.match(created.body.id, /^[0-9a-f-]{36}$/);
      assert.equal(typeof created.body.created_at, 'number');
      const bob = (await admin(node, 'GET', '/consumers/bob')).body;
      assert.deepEqual(created.body.consumer, { id: bob.id });

      // Without a secret one is generated (Kong's `auto`).
      const generated = await admin(node, 'POST', '/consumers/bob/hmac-auth', { username: 'bob-2' });
      assert.equal(generated.status, 201, JSON.stringify(generated.body));
      assert.ok(typeof generated.body.secret === 'string' && generated.body.secret.length >= 32);

      const one = await admin(node, 'GET', '/consumers/bob/hmac-auth/bob');
      assert.equal(one.status, 200);
      assert.equal(one.body.id, created.body.id);
      assert.equal((await admin(node, 'GET', `/hmac-auths/${created.body.id}`)).body.username, 'bob');
      assert.equal((await admin(node, 'GET', '/hmac-auths/bob-2')).body.id, generated.body.id);
      assert.deepEqual(
        (await admin(node, 'GET', '/consumers/bob/hmac-auth')).body.data.map((c: Json) => c.username).sort(),
        ['bob', 'bob-2'],
      );
      assert.equal((await admin(node, 'GET', '/hmac-auths')).body.data.length, 2);
      assert.equal(
        (await admin(node, 'GET', `/hmac-auths/${created.body.id}/consumer`)).body.username,
        'bob',
      );

      const duplicate = await admin(node, 'POST', '/consumers/bob/hmac-auth', { username: 'bob' });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.name, 'unique constraint violation');
      assert.deepEqual(duplicate.body.fields, { username: 'bob' });
      const missing = await admin(node, 'POST', '/consumers/bob/hmac-auth', {});
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.body.fields, { username: 'required field missing' });
      assert.equal((await admin(node, 'POST', '/consumers/nobody/hmac-auth', { username: 'x' })).status, 404);

      const patched = await admin(node, 'PATCH', '/consumers/bob/hmac-auth/bob-2', { secret: 'rotated' });
      assert.equal(patched.body.secret, 'rotated');
      assert.equal((await admin(node, 'DELETE', '/consumers/bob/hmac-auth/bob-2')).status, 204);
      assert.equal((await admin(node, 'GET', '/hmac-auths/bob-2')).status, 404);

      if (node.dsn !== undefined) {
        // The secret is encrypted at rest (secrets_default), in clear through the Admin API and to the data planes.
        const client = new pg.Client({ connectionString: node.dsn });
        await client.connect();
        try {
          const { rows } = await client.query("SELECT entity->>'secret' AS secret FROM hmacauth_credentials");
          assert.equal(rows.length, 1);
          assert.notEqual(rows[0].secret, 'bob-secret');
        } finally {
          await client.end();
        }
      }
    },
  );

  onBoth("plugin configurations are validated in Kong's words", async (node) => {
    assert.equal(
      (await admin(node, 'POST', '/services', { name: 'hmac', url: `http://127.0.0.1:${upstream.port}` }))
        .status,
      201,
    );
    const skew = await admin(node, 'POST', '/services/hmac/plugins', {
      name: 'hmac-auth',
      config: { clock_skew: -10 },
    });
    assert.equal(skew.status, 400);
    assert.equal(skew.body.fields.config.clock_skew, 'value must be greater than 0');
    const algorithm = await admin(node, 'POST', '/services/hmac/plugins', {
      name: 'hmac-auth',
      config: { algorithms: ['sha1024'] },
    });
    assert.equal(algorithm.status, 400);
    assert.deepEqual(algorithm.body.fields.config.algorithms, [
      'expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512',
    ]);
    const scoped = await admin(node, 'POST', '/consumers/bob/plugins', { name: 'hmac-auth' });
    assert.equal(scoped.status, 400);
    assert.ok(scoped.body.fields.consumer !== undefined, JSON.stringify(scoped.body));
  });

  onBoth(
    'the data plane authenticates signed requests and refuses the others with Kong bodies',
    async (node) => {
      const routes: [string, Record<string, unknown>][] = [
        ['/hmac', { clock_skew: 3000 }],
        ['/hmac-realm', { realm: 'test-realm', enforce_headers: ['date', 'request-line'] }],
        ['/hmac-hidden', { hide_credentials: true, validate_request_body: true }],
        ['/hmac-anonymous', { anonymous: 'anon', algorithms: ['hmac-sha512'] }],
      ];
      assert.equal((await admin(node, 'POST', '/consumers', { username: 'anon' })).status, 201);
      for (const [path, config] of routes) {
        const name = path.slice(1);
        assert.equal(
          (await admin(node, 'POST', '/services/hmac/routes', { name, paths: [path] })).status,
          201,
        );
        const plugin = await admin(node, 'POST', `/routes/${name}/plugins`, { name: 'hmac-auth', config });
        assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
      }
      // The data plane has the configuration once the last route answers for its plugin.
      // (the route alone would answer 200 too: the upstream's echo shows the plugin ran).
      await eventually(
        () => http('GET', `${node.dp.proxyUrl}/hmac-anonymous`),
        (r) => (r.body as Json).headers?.['x-anonymous-consumer'] === 'true',
        30_000,
      );

      const none = await http('GET', `${node.dp.proxyUrl}/hmac`);
      assert.deepEqual([none.status, none.body], [401, { message: 'Unauthorized' }]);
      assert.equal(none.headers.get('www-authenticate'), 'hmac');

      const ok = await signedRequest(node, '/hmac/x?q=1');
      assert.equal(ok.status, 200, ok.text);
      const seen = upstream.received.at(-1)!;
      assert.equal(seen.url, '/x?q=1');
      assert.equal(seen.headers['x-consumer-username'], 'bob');
      assert.equal(seen.headers['x-consumer-custom-id'], 'b-1');
      assert.equal(seen.headers['x-credential-identifier'], 'bob');
      assert.match(String(seen.headers.authorization), /^hmac username="bob"/);

      const before = upstream.received.length;
      const forged = await signedRequest(node, '/hmac/x', { secret: 'guess' });
      assert.deepEqual([forged.status, forged.json], [401, { message: 'HMAC signature does not match' }]);
      const stranger = await signedRequest(node, '/hmac/x', { username: 'eve' });
      assert.deepEqual(
        [stranger.status, stranger.json],
        [401, { message: 'HMAC signature cannot be verified' }],
      );
      const noDate = await http('GET', `${node.dp.proxyUrl}/hmac`, undefined, { authorization: 'hmac x' });
      assert.deepEqual(noDate.body, {
        message:
          'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication',
      });
      assert.equal(upstream.received.length, before, 'a refused request reached the service');

      const realm = await http('GET', `${node.dp.proxyUrl}/hmac-realm`);
      assert.equal(realm.headers.get('www-authenticate'), 'hmac realm="test-realm"');
      assert.equal((await signedRequest(node, '/hmac-realm')).status, 200);

      // hide_credentials strips the Proxy-Authorization it used; the body must match its Digest.
      const hidden = await signedRequest(node, '/hmac-hidden', {
        method: 'POST',
        body: '{"a":1}',
        headerName: 'proxy-authorization',
        extra: { 'content-type': 'application/json' },
      });
      assert.equal(hidden.status, 200, hidden.text);
      assert.equal(upstream.received.at(-1)!.headers['proxy-authorization'], undefined);
      assert.equal(upstream.received.at(-1)!.body.toString(), '{"a":1}');

      // hmac-sha256 is not among this route's algorithms: the anonymous consumer goes through.
      const anonymous = await signedRequest(node, '/hmac-anonymous');
      assert.equal(anonymous.status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'anon');
      assert.equal(upstream.received.at(-1)!.headers['x-anonymous-consumer'], 'true');
      const sha512 = await signedRequest(node, '/hmac-anonymous', { algorithm: 'hmac-sha512' });
      assert.equal(sha512.status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'bob');
    },
  );

  onBoth(
    'a declarative file carries hmacauth_credentials, nested under consumers and at the top',
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
    - name: hmac-auth
consumers:
- username: carol
  hmacauth_credentials:
  - username: carol
    secret: carol-secret
- username: dave
hmacauth_credentials:
- username: dave
  secret: dave-secret
  consumer: dave
`,
      });
      assert.equal(res.status, 201, await res.text());
      const listed = (await admin(node, 'GET', '/hmac-auths')).body.data.map((c: Json) => c.username).sort();
      assert.deepEqual(listed, ['carol', 'dave']);
      const ok = await eventually(
        () => signedRequest(node, '/declared', { username: 'carol', secret: 'carol-secret' }),
        (r) => r.status === 200,
        30_000,
      );
      assert.equal(ok.status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'carol');
      const dave = await signedRequest(node, '/declared', { username: 'dave', secret: 'dave-secret' });
      assert.equal(dave.status, 200);
      // bob went with the configuration the file replaced.
      const bob = await signedRequest(node, '/declared');
      assert.deepEqual([bob.status, bob.json], [401, { message: 'HMAC signature cannot be verified' }]);
      const exported = (await admin(node, 'GET', '/config')).body.config as string;
      assert.match(exported, /hmacauth_credentials:/);
    },
  );
});

describe('hmac-auth on a DB-less node', () => {
  test("authenticates with the declarative file's credentials", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-hmac-dbless-'));
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
    - name: hmac-auth
      config: { realm: dbless }
consumers:
- username: erin
  hmacauth_credentials:
  - { username: erin, secret: erin-secret }
`,
      );
      const [admin, proxyPort, status] = [await freePort(), await freePort(), await freePort()];
      await using _node = await startTurnpike({
        env: {
          TURNPIKE_DATABASE: 'off',
          TURNPIKE_DECLARATIVE_CONFIG: file,
          TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
          TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
          TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
        },
      });
      const node = { dp: { proxyUrl: `http://127.0.0.1:${proxyPort}` } } as unknown as Node;
      const ok = await eventually(
        () => signedRequest(node, '/dbless', { username: 'erin', secret: 'erin-secret' }),
        (r) => r.status === 200,
        30_000,
      );
      assert.equal(ok.status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-consumer-username'], 'erin');
      const forged = await signedRequest(node, '/dbless', { username: 'erin', secret: 'guess' });
      assert.deepEqual([forged.status, forged.json], [401, { message: 'HMAC signature does not match' }]);
      assert.equal(forged.headers.get('www-authenticate'), 'hmac realm="dbless"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
