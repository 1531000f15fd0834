/**
 * oauth2 (Kong 3.10 kong/plugins/oauth2/access.lua): on a path ending in `/oauth2/token` or
 * `/oauth2/authorize` the plugin answers the endpoint itself (grants.ts); on any other path it
 * authenticates the access token against the synced oauth2_tokens: its service (or
 * `global_credentials`), its expiry, the credential and consumer it names.
 */
import {
  authenticateConsumer,
  definePluginHandler,
  findConsumer,
  type NodeDatastore,
  NodeDatastoreError,
  nodeDatastore,
  type PluginContext,
  parseBodyFields,
} from '@turnpike/plugin-sdk';
import { datastoreTokenStore } from './datastore-store.ts';
import {
  authorize,
  type EndpointAnswer,
  issueToken,
  NO_STORE,
  NoTokenStoreError,
  type StoredToken,
  type TokenStore,
} from './grants.ts';
import { type Client, retrieveParameters } from './params.ts';
import type { OAuth2Config } from './schema.ts';

const INVALID_OR_EXPIRED = 'The access token is invalid or has expired';

/** Kong's make_www_authenticate_header. */
export function challenge(realm: string | null | undefined, error?: string, description?: string): string {
  const params: string[] = [];
  if (realm != null && realm !== '') params.push(`realm="${realm}"`);
  if (error !== undefined) params.push(`error="${error}"`);
  if (description !== undefined) params.push(`error_description="${description}"`);
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}

interface Failure {
  readonly status: number;
  readonly body: Record<string, string>;
  readonly challenge: string;
  /** Sent even with `anonymous` (Kong's retrieve_token exits itself for a global token). */
  readonly always?: boolean;
}

function invalidToken(conf: OAuth2Config, description = INVALID_OR_EXPIRED): Failure {
  return {
    status: 401,
    body: { error: 'invalid_token', error_description: description },
    challenge: challenge(conf.realm, 'invalid_token', INVALID_OR_EXPIRED),
  };
}

/** Kong's parse_access_token: from auth_header_name (`Bearer`/`Token` and one value), else the parameters. */
async function parseAccessToken(ctx: PluginContext, conf: OAuth2Config): Promise<string | undefined> {
  const headerName = conf.auth_header_name ?? 'authorization';
  const header = ctx.request.header(headerName);
  if (header !== undefined) {
    const parts = header.split(/\s+/).filter((p) => p !== '');
    const found = parts.length === 2 && /^(token|bearer)$/i.test(parts[0]!);
    if (found && conf.hide_credentials) ctx.clearUpstreamHeader(headerName);
    // Kong goes on with the whole header value when it is not `Bearer <token>`.
    return found ? parts[1] : header;
  }
  const params = await retrieveParameters(ctx);
  const token = params.access_token;
  if (typeof token !== 'string') return undefined;
  if (conf.hide_credentials) {
    if (ctx.request.query.has('access_token')) {
      const query = new URLSearchParams(ctx.request.query);
      query.delete('access_token');
      ctx.setUpstreamQuery(query);
    }
    const type = ctx.request.header('content-type') ?? '';
    if (ctx.request.method !== 'GET' && type.includes('application/x-www-form-urlencoded')) {
      const fields = parseBodyFields(await ctx.request.readBody(), type) ?? {};
      delete fields.access_token;
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(fields))
        for (const item of [v].flat()) body.append(k, String(item));
      ctx.setUpstreamBody(body.toString());
    }
  }
  return token;
}

function setAuthenticatedHeaders(ctx: PluginContext, token: StoredToken | undefined): void {
  if (token?.scope != null) ctx.setUpstreamHeader('X-Authenticated-Scope', token.scope);
  else ctx.clearUpstreamHeader('X-Authenticated-Scope');
  if (token?.authenticated_userid != null)
    ctx.setUpstreamHeader('X-Authenticated-UserId', token.authenticated_userid);
  else ctx.clearUpstreamHeader('X-Authenticated-UserId');
}

/** Kong's do_authentication: undefined once authenticated, else the failure. */
async function authenticate(ctx: PluginContext, conf: OAuth2Config): Promise<Failure | undefined> {
  const accessToken = await parseAccessToken(ctx, conf);
  if (accessToken === undefined || accessToken === '') {
    return {
      status: 401,
      body: { error: 'invalid_request', error_description: 'The access token is missing' },
      challenge: challenge(conf.realm),
    };
  }
  const token = ctx.db.findBy('oauth2_tokens', 'access_token', accessToken) as StoredToken | undefined;
  const service = ctx.service?.id;
  if (token === undefined) return invalidToken(conf);
  if (!conf.global_credentials && token.service == null) {
    return {
      ...invalidToken(
        conf,
        "The access token is global, but the current plugin is configured without 'global_credentials'",
      ),
      always: true,
    };
  }
  if (token.service != null && token.service.id !== service) return invalidToken(conf);
  if (token.expires_in > 0 && Date.now() / 1000 - token.created_at > token.expires_in)
    return invalidToken(conf);
  const credential = ctx.db.get('oauth2_credentials', token.credential.id) as Client | undefined;
  const consumer = credential?.consumer == null ? undefined : ctx.db.get('consumers', credential.consumer.id);
  if (credential === undefined || consumer === undefined) return invalidToken(conf);
  authenticateConsumer(ctx, consumer, credential, credential.client_id ?? undefined);
  setAuthenticatedHeaders(ctx, token);
  return undefined;
}

function answer(ctx: PluginContext, result: EndpointAnswer): void {
  ctx.response.exit(result.status, result.body, result.headers);
}

function invalidMethod(ctx: PluginContext, conf: OAuth2Config, endpoint: string): void {
  const description = `The HTTP method ${ctx.request.method} is invalid for the ${endpoint} endpoint`;
  ctx.response.exit(
    405,
    { error: 'invalid_method', error_description: description },
    { 'WWW-Authenticate': challenge(conf.realm, 'invalid_method', description) },
  );
}

/** The validated config and the plugin instance it belongs to (Kong's kong.plugin.get_id()). */
export type OAuth2Instance = OAuth2Config & { readonly pluginId: string };

/** The endpoint's answer; a write a data plane cannot do is Kong's DB-less 500, logged. */
async function endpoint(
  ctx: PluginContext,
  conf: OAuth2Instance,
  which: 'token' | 'authorize',
  store: TokenStore,
): Promise<void> {
  const params = await retrieveParameters(ctx);
  try {
    // The plugin instance tags written codes (Kong's kong.plugin.get_id): with global_credentials a
    // code is exchanged only through the instance that issued it.
    answer(ctx, await (which === 'token' ? issueToken : authorize)(ctx, conf, params, store, conf.pluginId));
  } catch (err) {
    if (!(err instanceof NoTokenStoreError || err instanceof NodeDatastoreError)) throw err;
    ctx.log.error(
      {
        endpoint: `/oauth2/${which}`,
        ...(err instanceof NodeDatastoreError && err.code !== undefined ? { code: err.code } : {}),
      },
      err.message,
    );
    ctx.response.exit(500, { message: 'An unexpected error occurred' });
  }
}

/** The handler writing issued tokens and codes to `store` (grants.ts), or to the node's datastore. */
export function oauth2Handler(given?: TokenStore) {
  let installed: { datastore: NodeDatastore | undefined; store: TokenStore } | undefined;
  // The node's datastore, when this is a traditional node's worker (installed before the first request).
  const storeOf = (): TokenStore => {
    if (given !== undefined) return given;
    const datastore = nodeDatastore();
    if (installed === undefined || installed.datastore !== datastore) {
      installed = { datastore, store: datastore === undefined ? NO_STORE : datastoreTokenStore(datastore) };
    }
    return installed.store;
  };
  return definePluginHandler<OAuth2Config, OAuth2Instance>({
    name: 'oauth2',
    version: '3.10.0',
    priority: 1400,
    sdkVersion: '1.1.0',
    configure: (config, instance) => ({ ...config, pluginId: instance.id }),

    async access(ctx, conf) {
      const path = ctx.request.path;
      if (path.endsWith('/oauth2/token') || path.endsWith('/oauth2/token/')) {
        if (ctx.request.method !== 'POST') return invalidMethod(ctx, conf, 'token');
        return endpoint(ctx, conf, 'token', storeOf());
      }
      if (path.endsWith('/oauth2/authorize') || path.endsWith('/oauth2/authorize/')) {
        if (ctx.request.method !== 'POST') return invalidMethod(ctx, conf, 'authorization');
        return endpoint(ctx, conf, 'authorize', storeOf());
      }
      if (conf.anonymous != null) {
        // Logical OR: an earlier plugin authenticated the request.
        if (ctx.credential !== undefined) {
          setAuthenticatedHeaders(ctx, undefined);
          return;
        }
        const failure = await authenticate(ctx, conf);
        if (failure === undefined) return;
        if (failure.always === true) {
          return ctx.response.exit(failure.status, failure.body, { 'WWW-Authenticate': failure.challenge });
        }
        const consumer = findConsumer(ctx.db, conf.anonymous);
        if (consumer === undefined) {
          const message = `anonymous consumer ${conf.anonymous} is configured but doesn't exist`;
          ctx.log.error({ anonymous: conf.anonymous }, message);
          return ctx.response.exit(500, { message });
        }
        authenticateConsumer(ctx, consumer, undefined);
        setAuthenticatedHeaders(ctx, undefined);
        return;
      }
      const failure = await authenticate(ctx, conf);
      if (failure !== undefined)
        ctx.response.exit(failure.status, failure.body, { 'WWW-Authenticate': failure.challenge });
    },
  });
}

/**
 * A node's handler: a traditional node with a database writes through its control plane; a data
 * plane (hybrid, DB-less) cannot write, as Kong's (README.md).
 */
export const handler = oauth2Handler();
