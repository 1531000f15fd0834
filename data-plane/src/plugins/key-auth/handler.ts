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

async function findKey(ctx: PluginContext, conf: KeyAuthConfig): Promise<Found> {
  const request = ctx.request;
  let fields: Record<string, unknown> | undefined;
  let bodyRead = false;
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
      if (!bodyRead) {
        bodyRead = true;
        fields = parseBodyFields(await request.readBody(), request.header('content-type'));
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

export const handler = definePluginHandler<KeyAuthConfig>({
  name: 'key-auth',
  version: '3.9.0',
  priority: 1250,
  sdkVersion: '1.0.0',

  async access(ctx, conf) {
    if (!conf.run_on_preflight && ctx.request.method === 'OPTIONS') return;
    // With anonymous, auth plugins are OR-ed: an earlier one already authenticated the request.
    if (conf.anonymous != null && ctx.credential !== undefined) return;

    const found = await findKey(ctx, conf);
    if (found !== undefined && 'duplicate' in found) {
      failAuthentication(ctx, conf.anonymous, 401, DUPLICATE, challenge(conf));
      return;
    }
    if (found === undefined || found.key === '') {
      failAuthentication(ctx, conf.anonymous, 401, NO_KEY, challenge(conf));
      return;
    }
    const credential = ctx.db.findBy('keyauth_credentials', 'key', found.key);
    const consumer =
      credential?.consumer == null ? undefined : ctx.db.get('consumers', credential.consumer.id);
    if (credential === undefined || consumer === undefined) {
      failAuthentication(ctx, conf.anonymous, 401, INVALID, challenge(conf));
      return;
    }
    authenticateConsumer(ctx, consumer, credential);
  },
});
