/**
 * hmac-auth (Kong 3.10 kong/plugins/hmac-auth/access.lua): the client signs chosen headers (and
 * the request line) with a credential's secret; the plugin checks the date against `clock_skew`,
 * the signature, the enforced headers and algorithms, and with `validate_request_body` the
 * body's `Digest`.
 */
import {
  authenticateConsumer,
  definePluginHandler,
  failAuthentication,
  type PluginContext,
} from '@turnpike/plugin-sdk';
import type { HmacAuthConfig } from './schema.ts';
import {
  bodyDigest,
  type HmacParams,
  hmacOf,
  parseHmacFields,
  parseHttpDate,
  type SignedRequest,
  signatureMatches,
  signingString,
} from './signature.ts';

// Kong 3.10's words.
export const UNAUTHORIZED = 'Unauthorized';
export const NO_DATE =
  'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication';
export const SIGNATURE_NOT_VALID = 'HMAC signature cannot be verified';
export const SIGNATURE_NOT_SAME = 'HMAC signature does not match';

/** A header's first value (kong.request.get_header), undefined when absent. */
function firstHeader(ctx: PluginContext, name: string): string | undefined {
  const value = ctx.request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function dateWithinSkew(ctx: PluginContext, name: string, skew: number, now: number): boolean {
  const value = firstHeader(ctx, name);
  if (value === undefined) return false;
  const at = parseHttpDate(value);
  return at !== undefined && Math.abs(now - at) <= skew;
}

/** Kong's validate_params: the reason it logs, or undefined when the fields may be checked. */
function invalidParams(params: HmacParams | undefined, conf: HmacAuthConfig): string | undefined {
  if (params === undefined) return 'username or signature missing';
  for (const header of conf.enforce_headers ?? []) {
    if (!params.headers.includes(header)) return 'enforced header not used for signature creation';
  }
  if (!(conf.algorithms ?? []).includes(params.algorithm as never)) {
    return `algorithm ${params.algorithm} not supported`;
  }
  return undefined;
}

async function bodyMatches(ctx: PluginContext): Promise<boolean> {
  const body = await ctx.request.readBody();
  const received = firstHeader(ctx, 'digest');
  // No digest and no body is fine.
  if (received === undefined) return body.length === 0;
  return bodyDigest(body) === received;
}

function signedRequest(ctx: PluginContext): SignedRequest {
  return {
    method: ctx.request.method,
    target: ctx.request.target,
    httpVersion: ctx.request.httpVersion,
    header: (name) => firstHeader(ctx, name),
  };
}

/** Kong's do_authentication: undefined once authenticated, else the 401's message. */
async function authenticate(ctx: PluginContext, conf: HmacAuthConfig): Promise<string | undefined> {
  const authorization = firstHeader(ctx, 'authorization');
  const proxyAuthorization = firstHeader(ctx, 'proxy-authorization');
  if (authorization === undefined && proxyAuthorization === undefined) return UNAUTHORIZED;

  const now = Math.floor(Date.now() / 1000);
  const skew = conf.clock_skew ?? 300;
  if (!dateWithinSkew(ctx, 'x-date', skew, now) && !dateWithinSkew(ctx, 'date', skew, now)) return NO_DATE;

  // Proxy-Authorization first, then Authorization; the one used is hidden from the service.
  let params = parseHmacFields(proxyAuthorization);
  if (params === undefined) {
    params = parseHmacFields(authorization);
    if (conf.hide_credentials) ctx.clearUpstreamHeader('authorization');
  } else if (conf.hide_credentials) ctx.clearUpstreamHeader('proxy-authorization');

  const invalid = invalidParams(params, conf);
  if (invalid !== undefined || params === undefined) {
    ctx.log.debug({ reason: invalid }, 'hmac parameters refused');
    return SIGNATURE_NOT_VALID;
  }
  const credential = ctx.db.findBy('hmacauth_credentials', 'username', params.username);
  if (credential === undefined || typeof credential.secret !== 'string') {
    ctx.log.debug({ username: params.username }, 'no hmac credential for the username');
    return SIGNATURE_NOT_VALID;
  }
  const expected = hmacOf(
    params.algorithm,
    credential.secret,
    signingString(signedRequest(ctx), params.headers),
  );
  if (expected === undefined || !signatureMatches(expected, params.signature)) return SIGNATURE_NOT_SAME;
  if (conf.validate_request_body && !(await bodyMatches(ctx))) {
    ctx.log.debug('digest validation failed');
    return SIGNATURE_NOT_SAME;
  }
  const consumer = credential.consumer == null ? undefined : ctx.db.get('consumers', credential.consumer.id);
  if (consumer === undefined) return SIGNATURE_NOT_VALID;
  authenticateConsumer(ctx, consumer, credential, credential.username);
  return undefined;
}

export const handler = definePluginHandler<HmacAuthConfig>({
  name: 'hmac-auth',
  version: '3.10.0',
  priority: 1030,
  sdkVersion: '1.0.0',

  async access(ctx, conf) {
    // With anonymous, auth plugins are OR-ed: an earlier one already authenticated the request.
    if (conf.anonymous != null && ctx.credential !== undefined) return;
    const message = await authenticate(ctx, conf);
    if (message === undefined) return;
    const challenge = conf.realm == null ? 'hmac' : `hmac realm="${conf.realm}"`;
    failAuthentication(ctx, conf.anonymous, 401, { message }, { 'WWW-Authenticate': challenge });
  },
});
