/**
 * oauth2's grants issued by the proxy of a traditional node, as Kong's traditional node issues
 * them: `/oauth2/token` and `/oauth2/authorize` write oauth2_tokens / oauth2_authorization_codes
 * to the node's datastore (PostgreSQL and the embedded PGlite), through the main process (the
 * proxy worker holds no connection), and the issued token authenticates the very next request.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { testOnEach } from '../helpers/each-node.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>;

interface Node {
  readonly name: string;
  readonly turnpike: RunningTurnpike;
  readonly adminUrl: string;
  readonly proxyUrl: string;
  readonly httpsUrl: string;
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

let postgres: TestPostgres;
let pgliteDir: string;
let upstream: RecordingUpstream;
const nodes: Node[] = [];

before(async () => {
  postgres = await startPostgres();
  upstream = await recordingUpstream();
  pgliteDir = await mkdtemp(join(tmpdir(), 'turnpike-oauth2-trad-'));
  for (const [name, dsn] of [
    ['PostgreSQL', await postgres.newDatabase()],
    ['PGlite', `pglite://${pgliteDir}`],
  ] as const) {
    const [admin, plain, tls, status] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const turnpike = await startTurnpike({
      args: ['--run-migrations'],
      env: {
        TURNPIKE_DSN: dsn,
        TURNPIKE_SECRETS_DEFAULT: 'e2e-oauth2-traditional',
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${tls} ssl`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
        TURNPIKE_TRUSTED_IPS: '127.0.0.1',
      },
    });
    nodes.push({
      name,
      turnpike,
      adminUrl: `http://127.0.0.1:${admin}`,
      proxyUrl: `http://127.0.0.1:${plain}`,
      httpsUrl: `https://127.0.0.1:${tls}`,
    });
  }
});

after(async () => {
  for (const { turnpike } of nodes) await turnpike[Symbol.asyncDispose]();
  await rm(pgliteDir, { recursive: true, force: true });
  await upstream?.[Symbol.asyncDispose]();
  await postgres?.[Symbol.asyncDispose]();
});

function onBoth(title: string, fn: (node: Node) => Promise<void>) {
  testOnEach(nodes, title, fn);
}

async function admin(node: Node, method: string, path: string, body?: unknown) {
  const res = await http(method, `${node.adminUrl}${path}`, body);
  return { status: res.status, body: res.body as Json };
}

/** A form POST to the ssl listener. */
async function post(
  node: Node,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await undiciFetch(`${node.httpsUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    dispatcher: insecure,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

async function get(node: Node, path: string, token: string) {
  const res = await fetch(`${node.proxyUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, json: (text.startsWith('{') ? JSON.parse(text) : text) as Json };
}

const client = { client_id: 'trad-client', client_secret: 'trad-secret' };
const REDIRECT = 'https://app.test/cb';

describe('oauth2 grants issued by a traditional node, PostgreSQL and PGlite', () => {
  onBoth('set-up: a consumer, its application, a service and routes', async (node) => {
    assert.equal((await admin(node, 'POST', '/consumers', { username: 'bob' })).status, 201);
    const app = await admin(node, 'POST', '/consumers/bob/oauth2', {
      name: 'App',
      ...client,
      redirect_uris: [REDIRECT],
    });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    const publicApp = await admin(node, 'POST', '/consumers/bob/oauth2', {
      name: 'Public',
      client_id: 'trad-public',
      client_type: 'public',
      redirect_uris: [REDIRECT],
    });
    assert.equal(publicApp.status, 201, JSON.stringify(publicApp.body));
    const service = await admin(node, 'POST', '/services', {
      name: 'svc',
      url: `http://127.0.0.1:${upstream.port}`,
    });
    assert.equal(service.status, 201);
    const other = await admin(node, 'POST', '/services', {
      name: 'other',
      url: `http://127.0.0.1:${upstream.port}`,
    });
    assert.equal(other.status, 201);
    const all = {
      enable_client_credentials: true,
      enable_password_grant: true,
      enable_authorization_code: true,
      scopes: ['email', 'profile'],
      provision_key: 'prov',
    };
    const routes: [string, string, Record<string, unknown>][] = [
      ['main', 'svc', all],
      ['reuse', 'svc', { ...all, reuse_refresh_token: true }],
      ['short', 'svc', { ...all, token_expiration: 1, refresh_token_ttl: 1 }],
      ['global-a', 'svc', { ...all, global_credentials: true }],
      ['global-b', 'other', { ...all, global_credentials: true }],
      ['strict', 'svc', { ...all, pkce: 'strict' }],
      ['terminated', 'svc', { ...all, accept_http_if_already_terminated: true }],
    ];
    for (const [name, svc, config] of routes) {
      const route = await admin(node, 'POST', `/services/${svc}/routes`, { name, paths: [`/${name}`] });
      assert.equal(route.status, 201);
      const plugin = await admin(node, 'POST', `/routes/${name}/plugins`, { name: 'oauth2', config });
      assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    }
    await eventually(
      () => get(node, '/terminated', 'none'),
      (r) => r.status === 401,
      30_000,
    );
  });

  onBoth('client_credentials: a token issued on the proxy authenticates the next request', async (node) => {
    const started = performance.now();
    const issued = await post(node, '/main/oauth2/token', {
      grant_type: 'client_credentials',
      scope: 'email',
      ...client,
    });
    const issueMs = performance.now() - started;
    assert.equal(issued.status, 200, JSON.stringify(issued.json));
    assert.equal(issued.headers.get('cache-control'), 'no-store');
    assert.equal(issued.headers.get('pragma'), 'no-cache');
    assert.deepEqual(Object.keys(issued.json).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(issued.json.token_type, 'bearer');
    assert.equal(issued.json.expires_in, 7200);
    assert.match(issued.json.access_token, /^[0-9a-f]{32}$/);
    // No retry: the answer waited for the proxy workers to run the version holding the token.
    const ok = await get(node, '/main/x', issued.json.access_token);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const seen = upstream.received.at(-1)!;
    assert.equal(seen.headers['x-consumer-username'], 'bob');
    assert.equal(seen.headers['x-credential-identifier'], 'trad-client');
    assert.equal(seen.headers['x-authenticated-scope'], 'email');
    // Stored: the Admin API reads it from the datastore.
    const stored = await admin(node, 'GET', `/oauth2_tokens/${issued.json.access_token}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.scope, 'email');
    assert.equal(stored.body.expires_in, 7200);
    process.stdout.write(
      `# [${node.name}] client_credentials issue (write + sync to the worker): ${issueMs.toFixed(1)} ms\n`,
    );

    // The token is for this route's service only.
    assert.equal((await get(node, '/global-b/x', issued.json.access_token)).status, 401);
  });

  onBoth("errors in Kong's bodies", async (node) => {
    const unsupported = await post(node, '/main/oauth2/token', { grant_type: 'implicit', ...client });
    assert.deepEqual(
      [unsupported.status, unsupported.json],
      [400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' }],
    );
    const badSecret = await post(node, '/main/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: 'wrong',
    });
    assert.deepEqual(
      [badSecret.status, badSecret.json],
      [400, { error: 'invalid_client', error_description: 'Invalid client authentication' }],
    );
    const badScope = await post(node, '/main/oauth2/token', {
      grant_type: 'client_credentials',
      scope: 'admin',
      ...client,
    });
    assert.deepEqual(badScope.json, {
      error: 'invalid_scope',
      error_description: '"admin" is an invalid scope',
    });
    const badCode = await post(node, '/main/oauth2/token', {
      grant_type: 'authorization_code',
      code: 'nope',
      ...client,
    });
    assert.deepEqual(badCode.json, { error: 'invalid_request', error_description: 'Invalid code' });
    const plain = await fetch(`${node.proxyUrl}/main/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...client }).toString(),
    });
    assert.deepEqual(
      [plain.status, await plain.json()],
      [400, { error: 'access_denied', error_description: 'You must use HTTPS' }],
    );
    // accept_http_if_already_terminated: a trusted peer's X-Forwarded-Proto counts; a token is issued.
    const terminated = await fetch(`${node.proxyUrl}/terminated/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...client }).toString(),
    });
    assert.equal(terminated.status, 200);
    const token = ((await terminated.json()) as Json).access_token;
    assert.equal((await get(node, '/terminated/x', token)).status, 200);
  });

  onBoth(
    'password grant and refresh_token: the old token is gone, reuse_refresh_token keeps it',
    async (node) => {
      const noProvision = await post(node, '/main/oauth2/token', {
        grant_type: 'password',
        authenticated_userid: 'u1',
        ...client,
      });
      assert.deepEqual(noProvision.json, {
        error: 'invalid_provision_key',
        error_description: 'Invalid provision_key',
      });
      const noUser = await post(node, '/main/oauth2/token', {
        grant_type: 'password',
        provision_key: 'prov',
        ...client,
      });
      assert.deepEqual(noUser.json, {
        error: 'invalid_authenticated_userid',
        error_description: 'Missing authenticated_userid parameter',
      });
      const issued = await post(node, '/main/oauth2/token', {
        grant_type: 'password',
        provision_key: 'prov',
        authenticated_userid: 'u1',
        scope: 'profile',
        ...client,
      });
      assert.equal(issued.status, 200, JSON.stringify(issued.json));
      assert.match(issued.json.refresh_token, /^[0-9a-f]{32}$/);
      assert.equal((await get(node, '/main/x', issued.json.access_token)).status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-authenticated-userid'], 'u1');

      const refreshed = await post(node, '/main/oauth2/token', {
        grant_type: 'refresh_token',
        refresh_token: issued.json.refresh_token,
        ...client,
      });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
      assert.notEqual(refreshed.json.access_token, issued.json.access_token);
      assert.notEqual(refreshed.json.refresh_token, issued.json.refresh_token);
      assert.equal((await get(node, '/main/x', refreshed.json.access_token)).status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-authenticated-userid'], 'u1');
      // Kong deletes the refreshed token: its access token and refresh token no longer work.
      assert.equal((await get(node, '/main/x', issued.json.access_token)).status, 401);
      const again = await post(node, '/main/oauth2/token', {
        grant_type: 'refresh_token',
        refresh_token: issued.json.refresh_token,
        ...client,
      });
      assert.deepEqual(again.json, { error: 'invalid_request', error_description: 'Invalid refresh_token' });

      const first = await post(node, '/reuse/oauth2/token', {
        grant_type: 'password',
        provision_key: 'prov',
        authenticated_userid: 'u2',
        ...client,
      });
      const reused = await post(node, '/reuse/oauth2/token', {
        grant_type: 'refresh_token',
        refresh_token: first.json.refresh_token,
        ...client,
      });
      assert.equal(reused.status, 200, JSON.stringify(reused.json));
      assert.equal(reused.json.refresh_token, first.json.refresh_token);
      assert.notEqual(reused.json.access_token, first.json.access_token);
      assert.equal((await get(node, '/reuse/x', reused.json.access_token)).status, 200);
      assert.equal((await get(node, '/reuse/x', first.json.access_token)).status, 401);
    },
  );

  onBoth('token expiry and refresh_token_ttl', async (node) => {
    const issued = await post(node, '/short/oauth2/token', {
      grant_type: 'password',
      provision_key: 'prov',
      authenticated_userid: 'u3',
      ...client,
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.json));
    assert.equal(issued.json.expires_in, 1);
    // created_at has a second's resolution: past 2 s both the token and its refresh are over.
    await sleep(2_500);
    const expired = await get(node, '/short/x', issued.json.access_token);
    assert.deepEqual(expired.json, {
      error: 'invalid_token',
      error_description: 'The access token is invalid or has expired',
    });
    const late = await post(node, '/short/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: issued.json.refresh_token,
      ...client,
    });
    assert.deepEqual(late.json, { error: 'invalid_request', error_description: 'Invalid refresh_token' });
  });

  onBoth('authorization_code with PKCE: a code once, the verifier checked', async (node) => {
    const verifier = `${'a'.repeat(43)}verifier`;
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = (path: string, fields: Record<string, string>) =>
      post(node, `${path}/oauth2/authorize`, {
        response_type: 'code',
        provision_key: 'prov',
        authenticated_userid: 'u4',
        scope: 'email',
        ...fields,
      });
    const noChallenge = await authorize('/strict', { client_id: client.client_id });
    assert.equal(noChallenge.status, 400);
    assert.match(noChallenge.json.redirect_uri, /error=invalid_request/);
    const given = await authorize('/main', {
      client_id: client.client_id,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's1',
    });
    assert.equal(given.status, 200, JSON.stringify(given.json));
    const url = new URL(given.json.redirect_uri);
    assert.equal(`${url.origin}${url.pathname}`, REDIRECT);
    assert.equal(url.searchParams.get('state'), 's1');
    const code = url.searchParams.get('code')!;
    assert.match(code, /^[0-9a-f]{32}$/);

    const wrong = await post(node, '/main/oauth2/token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: 'b'.repeat(50),
      ...client,
    });
    assert.deepEqual(wrong.json, { error: 'invalid_grant', error_description: 'Invalid code' });
    // A refused exchange leaves the code usable (Kong deletes it only once a token is issued).
    const token = await post(node, '/main/oauth2/token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      ...client,
    });
    assert.equal(token.status, 200, JSON.stringify(token.json));
    assert.ok(token.json.refresh_token);
    assert.equal((await get(node, '/main/x', token.json.access_token)).status, 200);
    assert.equal(upstream.received.at(-1)!.headers['x-authenticated-userid'], 'u4');
    assert.equal(upstream.received.at(-1)!.headers['x-authenticated-scope'], 'email');
    const twice = await post(node, '/main/oauth2/token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      ...client,
    });
    assert.deepEqual(twice.json, { error: 'invalid_request', error_description: 'Invalid code' });

    // A public client: PKCE is required (lax), no secret.
    const publicCode = await authorize('/main', { client_id: 'trad-public', code_challenge: challenge });
    assert.equal(publicCode.status, 200, JSON.stringify(publicCode.json));
    const pc = new URL(publicCode.json.redirect_uri).searchParams.get('code')!;
    const publicToken = await post(node, '/main/oauth2/token', {
      grant_type: 'authorization_code',
      code: pc,
      client_id: 'trad-public',
      code_verifier: verifier,
    });
    assert.equal(publicToken.status, 200, JSON.stringify(publicToken.json));
  });

  onBoth('global_credentials: a token without a service serves every global route', async (node) => {
    const issued = await post(node, '/global-a/oauth2/token', {
      grant_type: 'client_credentials',
      ...client,
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.json));
    const stored = await admin(node, 'GET', `/oauth2_tokens/${issued.json.access_token}`);
    assert.equal(stored.body.service, null);
    assert.equal((await get(node, '/global-a/x', issued.json.access_token)).status, 200);
    assert.equal((await get(node, '/global-b/x', issued.json.access_token)).status, 200);
    // A code carries the plugin instance that issued it: with global_credentials it is exchanged
    // only there (Kong's check), not through another global instance.
    const authorizeAt = (path: string) =>
      post(node, `${path}/oauth2/authorize`, {
        response_type: 'code',
        provision_key: 'prov',
        authenticated_userid: 'u5',
        scope: 'email',
        client_id: client.client_id,
      });
    const exchange = (path: string, code: string) =>
      post(node, `${path}/oauth2/token`, { grant_type: 'authorization_code', code, ...client });
    const codeOf = (answer: Awaited<ReturnType<typeof authorizeAt>>) =>
      new URL(String(answer.json.redirect_uri)).searchParams.get('code')!;
    const elsewhere = await exchange('/global-b', codeOf(await authorizeAt('/global-a')));
    assert.equal(elsewhere.status, 400, JSON.stringify(elsewhere.json));
    assert.deepEqual(elsewhere.json, { error: 'invalid_request', error_description: 'Invalid code' });
    const here = await exchange('/global-a', codeOf(await authorizeAt('/global-a')));
    assert.equal(here.status, 200, JSON.stringify(here.json));
    // A route without global_credentials refuses a global token, in Kong's words.
    const refused = await get(node, '/main/x', issued.json.access_token);
    assert.equal(refused.status, 401);
    assert.equal(
      refused.json.error_description,
      "The access token is global, but the current plugin is configured without 'global_credentials'",
    );
  });
});
