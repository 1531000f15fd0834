/**
 * key-auth (Kong 3.x kong/plugins/key-auth/handler.lua): finds an API key in a header, the query
 * string or the body, looks its credential up by key, and authenticates the consumer.
 */
import {
  authenticateConsumer,
  bodyWithout,
  definePluginHandler,
  failAuthentication,
  type PluginContext,
  parseBodyFields,
} from '@turnpike/plugin-sdk';
import type { KeyAuthConfig } from './schema.ts';

// Kong 3.10's words (ERR_NO_API_KEY, ERR_INVALID_AUTH_CRED, ERR_DUPLICATE_API_KEY).
export const NO_KEY = { message: 'No API key found in request' };
export const INVALID = { message: 'Unauthorized' };
export const DUPLICATE = { message: 'Duplicate API key found' };

/** Kong's `WWW-Authenticate`: `Key`, or `Key realm="<realm>"` when `realm` is set (an empty one too). */
function challenge(conf: KeyAuthConfig): Readonly<Record<string, string>> {
  return { 'WWW-Authenticate': conf.realm == null ? 'Key' : `Key realm="${conf.realm}"` };
}

type Found = { key: string } | { duplicate: true } | undefined;
/** findKey reached the body, which is not read yet. */
const NEEDS_BODY = Symbol('needs body');

/** Synchronous while the key is in a header or the query; `body` once it was read. */
function findKey(
  ctx: PluginContext,
  conf: KeyAuthConfig,
  body: Buffer | undefined,
): Found | typeof NEEDS_BODY {
  const request = ctx.request;
  let fields: Record<string, unknown> | undefined;
  let bodyParsed = false;
  for (const name of conf.key_names) {
    let value: unknown;
    let where: 'header' | 'query' | 'body' | undefined;
    if (conf.key_in_header) {
      const count = request.headerCount(name);
      if (count > 1) return { duplicate: true };
      if (count === 1) {
        value = request.header(name);
        where = 'header';
      }
    }
    if (value === undefined && conf.key_in_query) {
      const values = request.query.getAll(name);
      if (values.length > 1) return { duplicate: true };
      if (values.length === 1) {
        value = values[0];
        where = 'query';
      }
    }
    if (value === undefined && conf.key_in_body) {
      if (body === undefined) return NEEDS_BODY;
      if (!bodyParsed) {
        bodyParsed = true;
        fields = parseBodyFields(body, request.header('content-type'));
      }
      value = fields?.[name];
      where = 'body';
    }
    if (Array.isArray(value)) return { duplicate: true };
    if (typeof value !== 'string') continue;
    if (conf.hide_credentials) {
      if (where === 'header') ctx.clearUpstreamHeader(name);
      if (where === 'query') {
        const query = new URLSearchParams(request.query);
        query.delete(name);
        ctx.setUpstreamQuery(query);
      }
      if (where === 'body' && fields !== undefined) {
        ctx.setUpstreamBody(bodyWithout(fields, name, request.header('content-type')));
      }
    }
    return { key: value };
  }
  return undefined;
}

function authenticate(ctx: PluginContext, conf: KeyAuthConfig, found: Found): void {
  if (found !== undefined && 'duplicate' in found) {
    failAuthentication(ctx, conf.anonymous, 401, DUPLICATE, challenge(conf));
    return;
  }
  if (found === undefined || found.key === '') {
    failAuthentication(ctx, conf.anonymous, 401, NO_KEY, challenge(conf));
    return;
  }
  const credential = ctx.db.findBy('keyauth_credentials', 'key', found.key);
  const consumer = credential?.consumer == null ? undefined : ctx.db.get('consumers', credential.consumer.id);
  if (credential === undefined || consumer === undefined) {
    failAuthentication(ctx, conf.anonymous, 401, INVALID, challenge(conf));
    return;
  }
  authenticateConsumer(ctx, consumer, credential);
}

/** key_in_body with no key in a header or the query: the body is read, then the search goes on. */
async function authenticateWithBody(ctx: PluginContext, conf: KeyAuthConfig): Promise<void> {
  const body = await ctx.request.readBody();
  authenticate(ctx, conf, findKey(ctx, conf, body) as Found);
}

export const handler = definePluginHandler<KeyAuthConfig>({
  name: 'key-auth',
  version: '3.10.0',
  priority: 1250,
  sdkVersion: '1.0.0',

  // Synchronous unless the body must be read (key_in_body): no promise per request.
  access(ctx, conf): Promise<void> | undefined {
    if (!conf.run_on_preflight && ctx.request.method === 'OPTIONS') return;
    // With anonymous, auth plugins are OR-ed: an earlier one already authenticated the request.
    if (conf.anonymous != null && ctx.credential !== undefined) return;
    const found = findKey(ctx, conf, undefined);
    if (found === NEEDS_BODY) return authenticateWithBody(ctx, conf);
    authenticate(ctx, conf, found);
    return undefined;
  },
});
