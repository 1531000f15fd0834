import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashClientSecret } from '@turnpike/shared/schema';
import { configOf } from '../../plugin-chain/schema-support.ts';
import {
  type FakeRequest,
  id,
  pluginEntity,
  runRequest,
  SERVICE_ID,
} from '../../plugin-chain/test-support.ts';
import type { StoredCode, StoredToken, TokenStore } from './grants.ts';
import { handler, oauth2Handler } from './handler.ts';
import { schema } from './schema.ts';

const alice = { id: id('c'), username: 'alice', custom_id: 'a-1' };
const anon = { id: id('c'), username: 'anonymous' };
const app = {
  id: id('o'),
  name: 'app',
  client_id: 'clientid123',
  client_secret: 'secret123',
  hash_secret: false,
  client_type: 'confidential',
  redirect_uris: ['http://google.com/kong'],
  consumer: { id: alice.id },
};
const hashed = {
  ...app,
  id: id('o'),
  client_id: 'hashed-app',
  client_secret: hashClientSecret('hashed-secret'),
  hash_secret: true,
};
const publicApp = { ...app, id: id('o'), client_id: 'public-app', client_type: 'public' };
const now = () => Math.floor(Date.now() / 1000);
const token = (extra: Partial<StoredToken> = {}): StoredToken => ({
  id: id('t'),
  access_token: `at-${randomBytes(6).toString('hex')}`,
  expires_in: 7200,
  created_at: now(),
  service: { id: SERVICE_ID },
  credential: { id: app.id },
  ...extra,
});

const provision = 'provision123';

function entities(config: Record<string, unknown>, tokens: StoredToken[] = []) {
  return {
    consumers: [alice, anon],
    oauth2_credentials: [app, hashed, publicApp],
    oauth2_tokens: tokens as unknown as Record<string, unknown>[],
    plugins: [
      pluginEntity(
        'oauth2',
        configOf(schema, { provision_key: provision, enable_password_grant: true, ...config }),
      ),
    ],
  };
}

/** An in-memory TokenStore: what a store with the database would write. */
function memoryStore(): TokenStore & { tokens: StoredToken[]; codes: StoredCode[] } {
  const tokens: StoredToken[] = [];
  const codes: StoredCode[] = [];
  const random = () => randomBytes(16).toString('hex');
  return {
    tokens,
    codes,
    insertToken(t) {
      const stored = {
        ...t,
        id: id('t'),
        access_token: random(),
        created_at: now(),
        refresh_token: t.refresh_token === '' ? random() : t.refresh_token,
      };
      tokens.push(stored);
      return stored;
    },
    renewToken(t, expiresIn) {
      const stored = { ...t, access_token: random(), expires_in: expiresIn, created_at: now() };
      tokens.push(stored);
      return stored;
    },
    deleteToken(t) {
      tokens.splice(tokens.indexOf(t), 1);
    },
    insertCode(c) {
      const stored = { ...c, code: random() };
      codes.push(stored);
      return stored;
    },
    findCode: (code) => codes.find((c) => c.code === code),
    deleteCode(c) {
      codes.splice(codes.indexOf(c), 1);
    },
  };
}

const form = (fields: Record<string, string>, extra: Partial<FakeRequest> = {}): FakeRequest => ({
  method: 'POST',
  path: '/oauth2/token',
  scheme: 'https',
  headers: [['Content-Type', 'application/x-www-form-urlencoded']],
  body: new URLSearchParams(fields).toString(),
  ...extra,
});

function headerOf(headers: readonly string[] | undefined, name: string): string | undefined {
  const i = headers?.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === name) ?? -1;
  return i === -1 ? undefined : headers?.[i + 1];
}

describe('oauth2: access tokens', () => {
  it('answers 401 invalid_request with a bare Bearer challenge without a token', async () => {
    const r = await runRequest([handler], entities({}));
    assert.deepEqual(
      [r?.exit?.status, r?.json],
      [401, { error: 'invalid_request', error_description: 'The access token is missing' }],
    );
    assert.equal(headerOf(r?.exit?.headers, 'www-authenticate'), 'Bearer');
  });

  it('authenticates a synced token from the header, a query or a form body, and names the user and scope', async () => {
    const t = token({ scope: 'email', authenticated_userid: 'user-1' });
    for (const request of [
      { headers: [['Authorization', `bearer ${t.access_token}`]] },
      { query: `access_token=${t.access_token}` },
      form({ access_token: t.access_token }, { path: '/x' }),
    ] as FakeRequest[]) {
      const r = await runRequest([handler], entities({}, [t]), request);
      assert.equal(r?.exit, undefined, JSON.stringify(r?.json));
      assert.equal(r?.upstream['x-consumer-username'], 'alice');
      assert.equal(r?.upstream['x-credential-identifier'], 'clientid123');
      assert.equal(r?.upstream['x-authenticated-scope'], 'email');
      assert.equal(r?.upstream['x-authenticated-userid'], 'user-1');
    }
  });

  it("refuses an unknown, expired, other service's or global token with Kong's invalid_token", async () => {
    const expired = token({ expires_in: 10, created_at: now() - 60 });
    const other = token({ service: { id: id('s') } });
    const global = token({ service: null });
    const cases: [string, string][] = [
      ['nope', 'The access token is invalid or has expired'],
      [expired.access_token, 'The access token is invalid or has expired'],
      [other.access_token, 'The access token is invalid or has expired'],
      [
        global.access_token,
        "The access token is global, but the current plugin is configured without 'global_credentials'",
      ],
    ];
    for (const [value, description] of cases) {
      const r = await runRequest([handler], entities({ realm: 'api' }, [expired, other, global]), {
        headers: [['Authorization', `Bearer ${value}`]],
      });
      assert.deepEqual(
        [r?.exit?.status, r?.json],
        [401, { error: 'invalid_token', error_description: description }],
      );
      assert.equal(
        headerOf(r?.exit?.headers, 'www-authenticate'),
        'Bearer realm="api", error="invalid_token", error_description="The access token is invalid or has expired"',
      );
    }
  });

  it('accepts a global token with global_credentials, and a token that never expires', async () => {
    const global = token({ service: null, expires_in: 0, created_at: now() - 1e6 });
    const r = await runRequest([handler], entities({ global_credentials: true }, [global]), {
      headers: [['Authorization', `Bearer ${global.access_token}`]],
    });
    assert.equal(r?.exit, undefined);
  });

  it('hides the token from the service with hide_credentials', async () => {
    const t = token();
    const header = await runRequest([handler], entities({ hide_credentials: true }, [t]), {
      headers: [['Authorization', `Bearer ${t.access_token}`]],
    });
    assert.equal(header?.upstream.authorization, undefined);
    const query = await runRequest([handler], entities({ hide_credentials: true }, [t]), {
      query: `access_token=${t.access_token}&keep=1`,
    });
    assert.equal(query?.upstreamQuery, 'keep=1');
    const body = await runRequest(
      [handler],
      entities({ hide_credentials: true }, [t]),
      form({ access_token: t.access_token, keep: '1' }, { path: '/x' }),
    );
    assert.equal(body?.run.upstreamBody?.toString(), 'keep=1');
  });

  it('refuses a global token on a plugin without global_credentials even with anonymous, as Kong', async () => {
    const global = token({ service: null });
    const r = await runRequest([handler], entities({ anonymous: 'anonymous' }, [global]), {
      headers: [['Authorization', `Bearer ${global.access_token}`]],
    });
    assert.equal(r?.exit?.status, 401);
    const other = await runRequest([handler], entities({ anonymous: 'anonymous' }, [global]), {
      headers: [['Authorization', 'Bearer unknown']],
    });
    assert.equal(other?.exit, undefined);
  });

  it('goes on as the anonymous consumer, without the authenticated headers', async () => {
    const r = await runRequest([handler], entities({ anonymous: 'anonymous' }), {
      headers: [['X-Authenticated-Scope', 'forged']],
    });
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-username'], 'anonymous');
    assert.equal(r?.upstream['x-anonymous-consumer'], 'true');
    assert.equal(r?.upstream['x-authenticated-scope'], undefined);
  });

  it('answers 405 invalid_method on the endpoints for anything but POST', async () => {
    const r = await runRequest([handler], entities({}), { path: '/api/oauth2/token' });
    assert.equal(r?.exit?.status, 405);
    assert.deepEqual(r?.json, {
      error: 'invalid_method',
      error_description: 'The HTTP method GET is invalid for the token endpoint',
    });
    const a = await runRequest([handler], entities({}), { path: '/oauth2/authorize/', method: 'PUT' });
    assert.equal(
      (a?.json as { error_description: string } | undefined)?.error_description,
      'The HTTP method PUT is invalid for the authorization endpoint',
    );
  });

  it("validates its configuration in Kong's words", () => {
    assert.throws(
      () => configOf(schema, {}),
      (e: { fields: unknown }) => {
        assert.deepEqual(e.fields, {
          config:
            'at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant',
        });
        return true;
      },
    );
    assert.throws(
      () => configOf(schema, { enable_authorization_code: true, mandatory_scope: true }),
      (e: { fields: { config: { scopes: string } } }) => e.fields.config.scopes === 'required field missing',
    );
    assert.equal(configOf(schema, { enable_password_grant: true }).provision_key?.toString().length, 32);
  });
});

describe('oauth2: the token and authorize endpoints', () => {
  it('on a node (no token store) answers an issuing grant with Kong DB-less 500, and its refusals as Kong', async () => {
    const r = await runRequest(
      [handler],
      entities({ enable_client_credentials: true }),
      form({
        grant_type: 'client_credentials',
        client_id: 'clientid123',
        client_secret: 'secret123',
      }),
    );
    assert.deepEqual([r?.exit?.status, r?.json], [500, { message: 'An unexpected error occurred' }]);
    const refused = await runRequest(
      [handler],
      entities({}),
      form({ grant_type: 'client_credentials', client_id: 'clientid123', client_secret: 'secret123' }),
    );
    assert.deepEqual(
      [refused?.exit?.status, refused?.json],
      [400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' }],
    );
    assert.equal(headerOf(refused?.exit?.headers, 'cache-control'), 'no-store');
    assert.equal(headerOf(refused?.exit?.headers, 'pragma'), 'no-cache');
  });

  it('requires HTTPS, or a trusted X-Forwarded-Proto: https with accept_http_if_already_terminated', async () => {
    const terminated = form({ grant_type: 'nope' }, { scheme: 'http', forwardedScheme: 'https' });
    const accepted = await runRequest(
      [handler],
      entities({ accept_http_if_already_terminated: true }),
      terminated,
    );
    // Past the HTTPS check: the later checks' error (no client given) is the answer, as in Kong.
    assert.equal((accepted?.json as { error?: string } | undefined)?.error, 'invalid_client');
    const ignored = await runRequest([handler], entities({}), terminated);
    assert.equal((ignored?.json as { error?: string } | undefined)?.error, 'access_denied');
    const r = await runRequest([handler], entities({}), form({ grant_type: 'password' }, { scheme: 'http' }));
    assert.deepEqual(
      [r?.exit?.status, r?.json],
      [400, { error: 'access_denied', error_description: 'You must use HTTPS' }],
    );
  });

  it('issues a client_credentials token, without a refresh token, scoped, with the secret in Basic', async () => {
    const store = memoryStore();
    const basic = Buffer.from('clientid123:secret123').toString('base64');
    const r = await runRequest(
      [oauth2Handler(store)],
      entities({ enable_client_credentials: true, scopes: ['email'] }),
      form(
        { grant_type: 'client_credentials', scope: 'email', state: 'xyz' },
        {
          headers: [
            ['Content-Type', 'application/x-www-form-urlencoded'],
            ['Authorization', `Basic ${basic}`],
          ],
        },
      ),
    );
    assert.equal(r?.exit?.status, 200, JSON.stringify(r?.json));
    const body = r?.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'state', 'token_type']);
    assert.deepEqual([body.token_type, body.expires_in, body.state], ['bearer', 7200, 'xyz']);
    assert.equal(store.tokens[0]?.scope, 'email');
    assert.deepEqual(store.tokens[0]?.service, { id: SERVICE_ID });
    const wrong = await runRequest(
      [oauth2Handler(store)],
      entities({ enable_client_credentials: true }),
      form(
        { grant_type: 'client_credentials' },
        {
          headers: [
            ['Content-Type', 'application/x-www-form-urlencoded'],
            ['Authorization', `Basic ${Buffer.from('clientid123:nope').toString('base64')}`],
          ],
        },
      ),
    );
    assert.deepEqual(
      [wrong?.exit?.status, wrong?.json],
      [401, { error: 'invalid_client', error_description: 'Invalid client authentication' }],
    );
    assert.equal(headerOf(wrong?.exit?.headers, 'www-authenticate'), 'Basic realm="OAuth2.0"');
    const badScope = await runRequest(
      [oauth2Handler(store)],
      entities({ enable_client_credentials: true, scopes: ['email'] }),
      form({
        grant_type: 'client_credentials',
        client_id: 'clientid123',
        client_secret: 'secret123',
        scope: 'admin',
      }),
    );
    assert.deepEqual(badScope?.json, {
      error: 'invalid_scope',
      error_description: '"admin" is an invalid scope',
    });
  });

  it('issues a password grant token with a refresh token, checking provision_key and the hashed secret', async () => {
    const store = memoryStore();
    const base = { grant_type: 'password', client_id: 'hashed-app', client_secret: 'hashed-secret' };
    const r = await runRequest(
      [oauth2Handler(store)],
      entities({}),
      form({ ...base, provision_key: provision, authenticated_userid: 'u1' }),
    );
    assert.equal(r?.exit?.status, 200, JSON.stringify(r?.json));
    assert.equal(typeof (r?.json as { refresh_token: unknown } | undefined)?.refresh_token, 'string');
    assert.equal(store.tokens[0]?.authenticated_userid, 'u1');
    const noKey = await runRequest(
      [oauth2Handler(store)],
      entities({}),
      form({ ...base, authenticated_userid: 'u1' }),
    );
    assert.deepEqual(noKey?.json, {
      error: 'invalid_provision_key',
      error_description: 'Invalid provision_key',
    });
    const noUser = await runRequest(
      [oauth2Handler(store)],
      entities({}),
      form({ ...base, provision_key: provision }),
    );
    assert.deepEqual(noUser?.json, {
      error: 'invalid_authenticated_userid',
      error_description: 'Missing authenticated_userid parameter',
    });
    const badSecret = await runRequest(
      [oauth2Handler(store)],
      entities({}),
      form({ ...base, client_secret: 'x', provision_key: provision, authenticated_userid: 'u1' }),
    );
    assert.deepEqual(
      [badSecret?.exit?.status, badSecret?.json],
      [400, { error: 'invalid_client', error_description: 'Invalid client authentication' }],
    );
  });

  it('runs the authorization code flow with PKCE: authorize, then exchange the code once', async () => {
    const store = memoryStore();
    const plugin = oauth2Handler(store);
    const config = { enable_authorization_code: true, scopes: ['email'] };
    const verifier = randomBytes(40).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorized = await runRequest(
      [plugin],
      entities(config),
      form(
        {
          client_id: 'public-app',
          response_type: 'code',
          scope: 'email',
          provision_key: provision,
          authenticated_userid: 'u2',
          code_challenge: challenge,
          state: 's1',
        },
        { path: '/oauth2/authorize' },
      ),
    );
    assert.equal(authorized?.exit?.status, 200, JSON.stringify(authorized?.json));
    const redirect = new URL((authorized?.json as { redirect_uri: string } | undefined)?.redirect_uri ?? '');
    assert.equal(`${redirect.origin}${redirect.pathname}`, 'http://google.com/kong');
    assert.equal(redirect.searchParams.get('state'), 's1');
    const code = redirect.searchParams.get('code') ?? '';
    assert.equal(store.codes[0]?.challenge_method, 'S256');

    const exchange = (fields: Record<string, string>) =>
      runRequest(
        [plugin],
        entities(config),
        form({ grant_type: 'authorization_code', client_id: 'public-app', code, ...fields }),
      );
    const missing = await exchange({});
    assert.deepEqual(missing?.json, {
      error: 'invalid_request',
      error_description: 'code_verifier is required for PKCE authorization requests',
    });
    const wrong = await exchange({ code_verifier: 'x'.repeat(43) });
    assert.deepEqual(wrong?.json, { error: 'invalid_grant', error_description: 'Invalid code' });
    const ok = await exchange({ code_verifier: verifier });
    assert.equal(ok?.exit?.status, 200, JSON.stringify(ok?.json));
    assert.equal(store.tokens[0]?.authenticated_userid, 'u2');
    assert.equal(store.tokens[0]?.scope, 'email');
    const again = await exchange({ code_verifier: verifier });
    assert.deepEqual(again?.json, { error: 'invalid_request', error_description: 'Invalid code' });

    const noChallenge = await runRequest(
      [plugin],
      entities(config),
      form(
        {
          client_id: 'public-app',
          response_type: 'code',
          provision_key: provision,
          authenticated_userid: 'u2',
        },
        { path: '/oauth2/authorize' },
      ),
    );
    const refused = new URL((noChallenge?.json as { redirect_uri: string } | undefined)?.redirect_uri ?? '');
    assert.equal(noChallenge?.exit?.status, 400);
    assert.equal(
      refused.searchParams.get('error_description'),
      'code_challenge is required for public clients',
    );
  });

  it('refreshes a token: a new pair, the old one deleted, unless reuse_refresh_token', async () => {
    const old = token({ refresh_token: 'rt-1', scope: 'email' });
    const store = memoryStore();
    store.tokens.push(old);
    const fields = {
      grant_type: 'refresh_token',
      refresh_token: 'rt-1',
      client_id: 'clientid123',
      client_secret: 'secret123',
    };
    const r = await runRequest([oauth2Handler(store)], entities({ scopes: ['email'] }, [old]), form(fields));
    assert.equal(r?.exit?.status, 200, JSON.stringify(r?.json));
    assert.notEqual((r?.json as { refresh_token: string } | undefined)?.refresh_token, 'rt-1');
    assert.equal(store.tokens.includes(old), false);
    const mismatch = await runRequest(
      [oauth2Handler(memoryStore())],
      entities({ scopes: ['other'] }, [old]),
      form(fields),
    );
    assert.deepEqual(mismatch?.json, { error: 'invalid_scope', error_description: 'Scope mismatch' });
    const unknown = await runRequest(
      [oauth2Handler(store)],
      entities({}, [old]),
      form({ ...fields, refresh_token: 'nope' }),
    );
    assert.deepEqual(unknown?.json, { error: 'invalid_request', error_description: 'Invalid refresh_token' });
    const reuse = memoryStore();
    reuse.tokens.push(old);
    const kept = await runRequest(
      [oauth2Handler(reuse)],
      entities({ scopes: ['email'], reuse_refresh_token: true }, [old]),
      form(fields),
    );
    assert.equal((kept?.json as { refresh_token: string } | undefined)?.refresh_token, 'rt-1');
  });
});
