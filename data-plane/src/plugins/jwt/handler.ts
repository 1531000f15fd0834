/**
 * jwt (Kong 3.x kong/plugins/jwt/handler.lua): a token from the query string, a cookie or a
 * header; its `iss` (key_claim_name) names a jwt_secrets credential, whose algorithm and secret
 * (or public key) must verify the signature; then the registered claims are checked.
 */
import {
  authenticateConsumer,
  definePluginHandler,
  failAuthentication,
  type PluginContext,
} from '@turnpike/plugin-sdk';
import { PublicKeys } from './keys.ts';
import type { JwtConfig } from './schema.ts';
import { checkClaims, decodeToken, exceedsMaximumExpiration, isHmac, verifySignature } from './token.ts';

/** What a jwt instance's phases get: its config and its public keys, parsed once (configure). */
export type JwtInstance = JwtConfig & { readonly publicKeys: PublicKeys };

const BEARER = /\s*[Bb]earer\s+(.+)/;

function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The token, `multiple` when a query parameter repeats, undefined when none. */
function retrieveToken(ctx: PluginContext, conf: JwtInstance): string | { multiple: true } | undefined {
  const query = ctx.request.query;
  for (const name of conf.uri_param_names ?? []) {
    const values = query.getAll(name);
    if (values.length > 1) return { multiple: true };
    if (values.length === 1) return values[0];
  }
  for (const name of conf.cookie_names ?? []) {
    const value = cookie(ctx.request.header('cookie'), name);
    if (value !== undefined && value !== '') return value;
  }
  for (const name of conf.header_names ?? []) {
    const value = ctx.request.headers[name.toLowerCase()];
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    const match = BEARER.exec(first);
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * `challenge`: `bare` is Kong's `Bearer [realm]` (no token), `none` no header (Kong's missing
 * consumer); otherwise (absent) the challenge carries `error="invalid_token"`.
 */
type Failure = { status: number; body: unknown; challenge?: 'bare' | 'none' };

/** Kong's WWW-Authenticate values: `Bearer`, `Bearer realm="r"`, each with `, error="invalid_token"`. */
function challengeHeaders(conf: JwtConfig, withError: boolean): Record<string, string> {
  const base = conf.realm == null ? 'Bearer' : `Bearer realm="${conf.realm}"`;
  if (!withError) return { 'WWW-Authenticate': base };
  return {
    'WWW-Authenticate':
      conf.realm == null ? 'Bearer error="invalid_token"' : `${base}, error="invalid_token"`,
  };
}

function authenticate(ctx: PluginContext, conf: JwtInstance, nowSeconds: number): Failure | undefined {
  const token = retrieveToken(ctx, conf);
  if (token === undefined) return { status: 401, body: { message: 'Unauthorized' }, challenge: 'bare' };
  if (typeof token !== 'string') return { status: 401, body: { message: 'Multiple tokens provided' } };
  const decoded = decodeToken(token);
  if ('error' in decoded) return { status: 401, body: { message: `Bad token; ${decoded.error}` } };

  const claimName = conf.key_claim_name ?? 'iss';
  const key = decoded.claims[claimName] ?? decoded.header[claimName];
  if (key === undefined || key === null) {
    return { status: 401, body: { message: `No mandatory '${claimName}' in claims` } };
  }
  if (key === '' || typeof key !== 'string') {
    return { status: 401, body: { message: `Invalid '${claimName}' in claims` } };
  }
  const secret = ctx.db.findBy('jwt_secrets', 'key', key);
  if (secret === undefined) {
    return { status: 401, body: { message: `No credentials found for given '${claimName}'` } };
  }
  const algorithm = secret.algorithm ?? 'HS256';
  if (decoded.header.alg !== algorithm) return { status: 401, body: { message: 'Invalid algorithm' } };
  const raw = algorithm.startsWith('HS') ? secret.secret : secret.rsa_public_key;
  if (typeof raw !== 'string' || raw === '') return { status: 401, body: { message: 'Invalid key/secret' } };
  // As Kong: secret_is_base64 decodes the secret, or the public key's PEM.
  const keyMaterial = isHmac(algorithm)
    ? conf.secret_is_base64
      ? Buffer.from(raw, 'base64')
      : raw
    : conf.publicKeys.get(raw);
  if (keyMaterial === undefined || !verifySignature(decoded, algorithm, keyMaterial)) {
    return { status: 401, body: { message: 'Invalid signature' } };
  }
  const errors = checkClaims(decoded.claims, conf.claims_to_verify ?? [], nowSeconds);
  if (errors !== undefined) return { status: 401, body: errors };
  const maximum = conf.maximum_expiration ?? 0;
  if (maximum > 0 && exceedsMaximumExpiration(decoded.claims, maximum, nowSeconds)) {
    return { status: 401, body: { exp: 'exceeds maximum allowed expiration' } };
  }
  const consumer = secret.consumer == null ? undefined : ctx.db.get('consumers', secret.consumer.id);
  if (consumer === undefined) {
    // Kong sends this one without a challenge.
    return {
      status: 401,
      body: { message: `Could not find consumer for '${claimName}=${key}'` },
      challenge: 'none',
    };
  }
  authenticateConsumer(ctx, consumer, secret, secret.key ?? undefined);
  ctx.shared.set('authenticated_jwt_token', token);
  return undefined;
}

export const handler = definePluginHandler<JwtConfig, JwtInstance>({
  name: 'jwt',
  version: '3.10.0',
  priority: 1450,
  sdkVersion: '1.0.0',

  // Once per instance: its public keys are parsed on first use, then kept.
  configure(config) {
    return { ...config, publicKeys: new PublicKeys(config.secret_is_base64) };
  },

  access(ctx, conf) {
    if (!conf.run_on_preflight && ctx.request.method === 'OPTIONS') return;
    if (conf.anonymous != null && ctx.credential !== undefined) return;
    const failure = authenticate(ctx, conf, Date.now() / 1000);
    if (failure === undefined) return;
    const headers =
      failure.challenge === 'none' ? undefined : challengeHeaders(conf, failure.challenge !== 'bare');
    failAuthentication(ctx, conf.anonymous, failure.status, failure.body, headers);
  },
});
