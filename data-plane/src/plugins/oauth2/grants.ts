/**
 * oauth2's two proxy endpoints (Kong 3.10 access.lua issue_token and authorize): `/oauth2/token`
 * (authorization_code with PKCE, client_credentials, password, refresh_token) and
 * `/oauth2/authorize` (code and implicit). Reads come from the synced configuration; writes
 * (tokens, codes) go to a TokenStore. A data plane has none (it never touches the database, as
 * a Kong DB-less or hybrid data plane cannot write): `NO_STORE` fails each write as Kong's
 * read-only strategy does, which the handler answers with Kong's 500 (README.md).
 */
import type { PluginContext } from '@turnpike/plugin-sdk';
import {
  type Client,
  clientCredentials,
  type ErrorBody,
  type Params,
  pkceVerifierError,
  requiresPkce,
  retrieveCodeChallenge,
  retrieveScope,
  secretMatches,
  stringParam,
} from './params.ts';
import type { OAuth2Config } from './schema.ts';

export interface StoredToken {
  readonly id: string;
  readonly access_token: string;
  readonly refresh_token?: string | null;
  readonly expires_in: number;
  readonly created_at: number;
  readonly service?: { readonly id: string } | null;
  readonly credential: { readonly id: string };
  readonly authenticated_userid?: string | null;
  readonly scope?: string | null;
}

export interface StoredCode {
  readonly code: string;
  readonly service?: { readonly id: string } | null;
  readonly credential: { readonly id: string };
  readonly plugin?: { readonly id: string } | null;
  readonly authenticated_userid?: string | null;
  readonly scope?: string | null;
  readonly challenge?: string | null;
  readonly challenge_method?: string | null;
}

/** Where issued tokens and codes are written (Kong's kong.db.oauth2_tokens / _authorization_codes). */
type Maybe<T> = T | Promise<T>;

export interface TokenStore {
  insertToken(
    token: Omit<StoredToken, 'id' | 'access_token' | 'created_at'>,
    ttl: number | undefined,
  ): Maybe<StoredToken>;
  /** Reuse of a refresh token: a new access token and expiry for the same row. */
  renewToken(token: StoredToken, expiresIn: number, ttl: number | undefined): Maybe<StoredToken>;
  deleteToken(token: StoredToken): Maybe<void>;
  insertCode(code: Omit<StoredCode, 'code'>): Maybe<StoredCode>;
  findCode(code: string): Maybe<StoredCode | undefined>;
  deleteCode(code: StoredCode): Maybe<void>;
}

/** Thrown by NO_STORE: Kong's "cannot write in DB-less mode". */
export class NoTokenStoreError extends Error {
  constructor() {
    super('oauth2 tokens and codes are written to the database, which a data plane does not reach');
    this.name = 'NoTokenStoreError';
  }
}

const fail = (): never => {
  throw new NoTokenStoreError();
};

/** A data plane's store: no code is ever found; every write fails. */
export const NO_STORE: TokenStore = {
  insertToken: fail,
  renewToken: fail,
  deleteToken: fail,
  insertCode: fail,
  findCode: () => undefined,
  deleteCode: fail,
};

export interface EndpointAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

const NO_CACHE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const err = (error: string, error_description: string): ErrorBody => ({ error, error_description });
const INVALID_CLIENT = () => err('invalid_client', 'Invalid client authentication');
const BAD_REDIRECT = () =>
  err(
    'invalid_request',
    'Invalid redirect_uri that does not match with any redirect_uri created with the application',
  );

function findClient(ctx: PluginContext, clientId: string | undefined): Client | undefined {
  if (clientId === undefined || clientId === '') return undefined;
  return ctx.db.findBy('oauth2_credentials', 'client_id', clientId) as Client | undefined;
}

/**
 * Kong's check_https: TLS to this node, or with accept_http_if_already_terminated the
 * X-Forwarded-Proto of a peer trusted_ips trusts.
 */
function isHttps(ctx: PluginContext, conf: OAuth2Config): boolean {
  if (ctx.request.scheme === 'https') return true;
  return conf.accept_http_if_already_terminated && ctx.request.forwardedScheme.toLowerCase() === 'https';
}

function serviceId(ctx: PluginContext, conf: OAuth2Config): string | undefined {
  return conf.global_credentials ? undefined : ctx.service?.id;
}

/** Kong's generate_token: the response fields. */
async function generateToken(
  ctx: PluginContext,
  conf: OAuth2Config,
  store: TokenStore,
  client: Client,
  authenticatedUserid: string | null | undefined,
  scope: string | null | undefined,
  state: unknown,
  disableRefresh: boolean,
  existing?: StoredToken,
): Promise<Record<string, unknown>> {
  const expiration = conf.token_expiration;
  const refreshTtl = conf.refresh_token_ttl > 0 ? conf.refresh_token_ttl : undefined;
  const ttl = expiration > 0 ? refreshTtl : undefined;
  let token: StoredToken;
  let refresh: string | undefined;
  if (existing !== undefined && conf.reuse_refresh_token) {
    token = await store.renewToken(existing, expiration, ttl);
    refresh = token.refresh_token ?? undefined;
  } else {
    if (!disableRefresh && expiration > 0) refresh = '';
    const service = serviceId(ctx, conf);
    token = await store.insertToken(
      {
        service: service === undefined ? null : { id: service },
        credential: { id: client.id },
        authenticated_userid: authenticatedUserid ?? null,
        expires_in: expiration,
        // '' asks the store for a fresh random refresh token.
        refresh_token: refresh ?? null,
        scope: scope ?? null,
      },
      ttl,
    );
    refresh = token.refresh_token ?? undefined;
  }
  return {
    access_token: token.access_token,
    token_type: 'bearer',
    ...(expiration > 0 ? { expires_in: token.expires_in } : {}),
    ...(refresh === undefined ? {} : { refresh_token: refresh }),
    ...(state === undefined ? {} : { state }),
  };
}

/** Kong's issue_token. */
export async function issueToken(
  ctx: PluginContext,
  conf: OAuth2Config,
  params: Params,
  store: TokenStore,
  pluginId: string,
): Promise<EndpointAnswer> {
  let response: Record<string, unknown> = {};
  let invalidClient: { status: number; challenge: string } | undefined;
  const state = params.state;
  const grant = params.grant_type;
  if (!isHttps(ctx, conf)) {
    response = err('access_denied', 'You must use HTTPS');
  } else {
    if (
      !(
        grant === 'authorization_code' ||
        grant === 'refresh_token' ||
        (conf.enable_client_credentials && grant === 'client_credentials') ||
        (conf.enable_password_grant && grant === 'password')
      )
    ) {
      response = err('unsupported_grant_type', 'Invalid grant_type');
    }
    const { clientId, clientSecret, fromHeader } = clientCredentials(ctx, params, conf);
    const client = findClient(ctx, clientId);
    const allowed = client?.redirect_uris ?? undefined;
    if (grant !== 'client_credentials') {
      if (allowed != null) {
        const redirect = stringParam(params, 'redirect_uri') ?? allowed[0];
        if (redirect === undefined || !allowed.includes(redirect)) response = BAD_REDIRECT();
      } else {
        response = INVALID_CLIENT();
        if (fromHeader) invalidClient = { status: 401, challenge: 'Basic realm="OAuth2.0"' };
      }
    }
    if (client !== undefined) {
      if (client.client_type === 'confidential') {
        if (!secretMatches(client, clientSecret)) {
          response = INVALID_CLIENT();
          if (fromHeader) invalidClient = { status: 401, challenge: 'Basic realm="OAuth2.0"' };
        }
      } else if (client.client_type === 'public' && (clientSecret ?? '').trim() !== '') {
        response = err('invalid_request', 'client_secret is disallowed for public clients');
      }
    }
    if (response.error === undefined) {
      response = await grantResponse(ctx, conf, params, store, pluginId, grant, client, state);
    }
  }
  if (state !== undefined) response.state = state;
  const failed = response.error !== undefined;
  const headers: Record<string, string> = { ...NO_CACHE };
  if (failed && invalidClient !== undefined) headers['www-authenticate'] = invalidClient.challenge;
  return { status: failed ? (invalidClient?.status ?? 400) : 200, body: response, headers };
}

async function grantResponse(
  ctx: PluginContext,
  conf: OAuth2Config,
  params: Params,
  store: TokenStore,
  pluginId: string,
  grant: unknown,
  client: Client | undefined,
  state: unknown,
): Promise<Record<string, unknown>> {
  if (grant === 'authorization_code') {
    const service = serviceId(ctx, conf);
    const code = stringParam(params, 'code');
    const found = code === undefined ? undefined : await store.findCode(code);
    if (found === undefined || (service !== undefined && service !== found.service?.id)) {
      return err('invalid_request', 'Invalid code');
    }
    if (client === undefined || found.credential.id !== client.id)
      return err('invalid_request', 'Invalid code');
    if (requiresPkce(conf, client, found.challenge_method ?? undefined)) {
      const pkce = pkceVerifierError(params, found.challenge);
      if (pkce !== undefined) return pkce;
    }
    if (conf.global_credentials && found.plugin != null && found.plugin.id !== pluginId) {
      return err('invalid_request', 'Invalid code');
    }
    const body = await generateToken(
      ctx,
      conf,
      store,
      client,
      found.authenticated_userid,
      found.scope,
      state,
      false,
    );
    await store.deleteCode(found);
    return body;
  }
  if (grant === 'client_credentials') {
    if (params.authenticated_userid !== undefined && conf.provision_key !== params.provision_key) {
      return err('invalid_provision_key', 'Invalid provision_key');
    }
    if (client === undefined) return INVALID_CLIENT();
    const scope = retrieveScope(params, conf);
    if ('error' in scope) return scope.error;
    return await generateToken(
      ctx,
      conf,
      store,
      client,
      stringParam(params, 'authenticated_userid'),
      scope.scope,
      state,
      true,
    );
  }
  if (grant === 'password') {
    if (conf.provision_key !== params.provision_key)
      return err('invalid_provision_key', 'Invalid provision_key');
    const user = stringParam(params, 'authenticated_userid');
    if (user === undefined || user.trim() === '') {
      return err('invalid_authenticated_userid', 'Missing authenticated_userid parameter');
    }
    if (client === undefined) return INVALID_CLIENT();
    const scope = retrieveScope(params, conf);
    if ('error' in scope) return scope.error;
    return await generateToken(ctx, conf, store, client, user, scope.scope, state, false);
  }
  // refresh_token
  const service = serviceId(ctx, conf);
  const refresh = stringParam(params, 'refresh_token');
  const token =
    refresh === undefined
      ? undefined
      : (ctx.db.findBy('oauth2_tokens', 'refresh_token', refresh) as StoredToken | undefined);
  if (token === undefined || (service !== undefined && service !== token.service?.id)) {
    return err('invalid_request', 'Invalid refresh_token');
  }
  // Kong stores the token with a ttl of refresh_token_ttl (when tokens expire): past it the row,
  // and so its refresh token, is gone.
  if (
    conf.token_expiration > 0 &&
    conf.refresh_token_ttl > 0 &&
    Date.now() / 1000 - token.created_at > conf.refresh_token_ttl
  ) {
    return err('invalid_request', 'Invalid refresh_token');
  }
  if (client === undefined || token.credential.id !== client.id) return INVALID_CLIENT();
  for (const s of (token.scope ?? '').split(/\s+/).filter((v) => v !== '')) {
    if (!(conf.scopes ?? []).includes(s)) return err('invalid_scope', 'Scope mismatch');
  }
  const body = await generateToken(
    ctx,
    conf,
    store,
    client,
    token.authenticated_userid,
    token.scope,
    state,
    false,
    token,
  );
  if (!conf.reuse_refresh_token) await store.deleteToken(token);
  return body;
}

/** Kong's authorize. */
export async function authorize(
  ctx: PluginContext,
  conf: OAuth2Config,
  params: Params,
  store: TokenStore,
  pluginId: string,
): Promise<EndpointAnswer> {
  let response: Record<string, unknown> = {};
  const state = params.state;
  let redirect: string | undefined;
  let implicit = false;
  if (!isHttps(ctx, conf)) {
    response = err('access_denied', 'You must use HTTPS');
  } else if (conf.provision_key !== params.provision_key) {
    response = err('invalid_provision_key', 'Invalid provision_key');
  } else {
    const user = stringParam(params, 'authenticated_userid');
    if (user === undefined || user.trim() === '') {
      response = err('invalid_authenticated_userid', 'Missing authenticated_userid parameter');
    } else {
      const type = params.response_type;
      if (
        !(
          (type === 'code' && conf.enable_authorization_code) ||
          (conf.enable_implicit_grant && type === 'token')
        )
      ) {
        response = err('unsupported_response_type', 'Invalid response_type');
      }
      const scope = retrieveScope(params, conf);
      if ('error' in scope) response = scope.error;
      const client = findClient(ctx, stringParam(params, 'client_id'));
      const allowed = client?.redirect_uris ?? undefined;
      if (client === undefined || allowed == null) {
        response = INVALID_CLIENT();
      } else {
        redirect = stringParam(params, 'redirect_uri') ?? allowed[0];
        if (redirect === undefined || !allowed.includes(redirect)) {
          response = BAD_REDIRECT();
          redirect = allowed[0];
        }
      }
      const pkce = retrieveCodeChallenge(params);
      let challenge: string | undefined;
      if ('error' in pkce) response = err('invalid_request', pkce.error);
      else if (client !== undefined && pkce.challenge === undefined && requiresPkce(conf, client)) {
        response = err('invalid_request', `code_challenge is required for ${client.client_type} clients`);
      } else challenge = pkce.challenge;
      if (response.error === undefined && client !== undefined) {
        if (type === 'code') {
          const service = serviceId(ctx, conf);
          const code = await store.insertCode({
            service: service === undefined ? null : { id: service },
            credential: { id: client.id },
            authenticated_userid: user,
            scope: 'scope' in scope ? (scope.scope ?? null) : null,
            challenge: challenge ?? null,
            challenge_method: challenge === undefined ? null : 'S256',
            plugin: { id: pluginId },
          });
          response = { code: code.code };
        } else {
          response = await generateToken(
            ctx,
            conf,
            store,
            client,
            user,
            'scope' in scope ? scope.scope : undefined,
            state,
            true,
          );
          implicit = true;
        }
      }
    }
  }
  if (state !== undefined) response.state = state;
  const status = response.error === undefined ? 200 : 400;
  const body = redirect === undefined ? response : { redirect_uri: withParams(redirect, response, implicit) };
  return { status, body, headers: { ...NO_CACHE } };
}

/** The redirect URI with the response appended to its query (its fragment for the implicit grant). */
function withParams(uri: string, response: Record<string, unknown>, implicit: boolean): string {
  const hash = uri.indexOf('#');
  const base = hash === -1 ? uri : uri.slice(0, hash);
  const fragment = hash === -1 ? '' : uri.slice(hash + 1);
  const q = base.indexOf('?');
  const path = q === -1 ? base : base.slice(0, q);
  const query = q === -1 ? '' : base.slice(q + 1);
  const params = new URLSearchParams(implicit ? fragment : query);
  for (const [k, v] of Object.entries(response)) params.set(k, String(v));
  const encoded = params.toString();
  return implicit ? `${base}#${encoded}` : `${path}?${encoded}${hash === -1 ? '' : `#${fragment}`}`;
}
