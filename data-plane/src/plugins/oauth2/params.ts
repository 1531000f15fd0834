/**
 * What oauth2's endpoints read of a request (Kong 3.10 kong/plugins/oauth2/access.lua): the
 * parameters, the scope, the PKCE challenge, the client's credentials, its secret check.
 */
import { createHash, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { type PluginContext, parseBodyFields } from '@turnpike/plugin-sdk';
import type { OAuth2Config } from './schema.ts';

export type Params = Readonly<Record<string, unknown>>;
export type ErrorBody = { error: string; error_description: string };

/** Kong's retrieve_parameters: the query, merged with the body (which wins) for POST, PUT, PATCH. */
export async function retrieveParameters(ctx: PluginContext): Promise<Params> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of ctx.request.query) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const method = ctx.request.method;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const body = parseBodyFields(await ctx.request.readBody(), ctx.request.header('content-type'));
    if (body !== undefined) Object.assign(out, body);
  }
  return out;
}

export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

/** Kong's retrieve_scope: the scopes asked for, space-joined (undefined: none), or the error. */
export function retrieveScope(params: Params, conf: OAuth2Config): { scope?: string } | { error: ErrorBody } {
  const scope = params.scope;
  if (conf.scopes != null && scope !== undefined) {
    if (typeof scope !== 'string') {
      return { error: { error: 'invalid_scope', error_description: 'scope must be a string' } };
    }
    const scopes: string[] = [];
    for (const v of scope.split(/\s+/).filter((s) => s !== '')) {
      if (!conf.scopes.includes(v)) {
        return { error: { error: 'invalid_scope', error_description: `"${v}" is an invalid scope` } };
      }
      scopes.push(v);
    }
    return scopes.length > 0 ? { scope: scopes.join(' ') } : {};
  }
  if (scope === undefined && conf.mandatory_scope) {
    return { error: { error: 'invalid_scope', error_description: 'You must specify a scope' } };
  }
  return {};
}

/** Kong's retrieve_code_challenge: the challenge (re-encoded base64url) and its method, or the error. */
export function retrieveCodeChallenge(
  params: Params,
): { challenge?: string; method: 'S256' } | { error: string } {
  let challenge = stringParam(params, 'code_challenge');
  const method = params.code_challenge_method;
  if (method !== undefined && challenge === undefined) {
    return { error: 'code_challenge is required when code_method is present' };
  }
  if (challenge !== undefined) {
    const decoded = Buffer.from(challenge, 'base64url');
    if (decoded.length > 0) challenge = decoded.toString('base64url');
    if (method !== undefined && method !== 'S256' && method !== 's256') {
      return { error: 'code_challenge_method is not supported, must be S256' };
    }
  }
  return challenge === undefined ? { method: 'S256' } : { challenge, method: 'S256' };
}

export interface Client {
  readonly id: string;
  readonly client_id?: string | null;
  readonly client_secret?: string | null;
  readonly hash_secret?: boolean | null;
  readonly client_type?: string | null;
  readonly redirect_uris?: readonly string[] | null;
  readonly consumer?: { readonly id: string } | null;
  readonly [field: string]: unknown;
}

/** Kong's requires_pkce. */
export function requiresPkce(conf: OAuth2Config, client: Client | undefined, usedPkce?: unknown): boolean {
  if (client === undefined) return false;
  return (
    (usedPkce !== undefined && usedPkce !== null) ||
    (client.client_type === 'public' && conf.pkce !== 'none') ||
    (client.client_type === 'confidential' && conf.pkce === 'strict')
  );
}

/** Kong's validate_pkce_verifier: undefined when the verifier matches the code's challenge. */
export function pkceVerifierError(
  params: Params,
  challenge: string | null | undefined,
): ErrorBody | undefined {
  const verifier = params.code_verifier;
  if (verifier === undefined) {
    return {
      error: 'invalid_request',
      error_description: 'code_verifier is required for PKCE authorization requests',
    };
  }
  if (typeof verifier !== 'string') {
    return { error: 'invalid_request', error_description: 'code_verifier is not a string' };
  }
  if (verifier.length < 43 || verifier.length > 128) {
    return {
      error: 'invalid_request',
      error_description: 'code_verifier must be between 43 and 128 characters',
    };
  }
  const computed = createHash('sha256').update(verifier).digest('base64url');
  if (challenge == null || computed !== challenge) {
    return { error: 'invalid_grant', error_description: 'Invalid code' };
  }
  return undefined;
}

/** Kong's retrieve_client_credentials: parameters first, then Basic in auth_header_name. */
export function clientCredentials(
  ctx: PluginContext,
  params: Params,
  conf: OAuth2Config,
): { clientId?: string; clientSecret?: string; fromHeader: boolean } {
  const id = stringParam(params, 'client_id');
  const secret = stringParam(params, 'client_secret');
  if (params.client_id !== undefined && params.client_secret !== undefined) {
    return { clientId: id, clientSecret: secret, fromHeader: false };
  }
  const header = ctx.request.header(conf.auth_header_name ?? 'authorization');
  if (header !== undefined) {
    const m = /\s*[Bb]asic\s*(.+)/.exec(header);
    if (m === null) return { fromHeader: true };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return { clientId: decoded, fromHeader: true };
    return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1), fromHeader: true };
  }
  return { clientId: id, fromHeader: false };
}

/** Kong's secret.verify for a PBKDF2 PHC string (`$pbkdf2-<digest>$i=…,l=…$salt$hash`). */
function verifyPbkdf2(secret: string, phc: string): boolean {
  const m = /^\$pbkdf2-(sha\d+)\$i=(\d+),l=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (m === null) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const derived = pbkdf2Sync(secret, Buffer.from(m[4]!, 'base64'), Number(m[2]), Number(m[3]), m[1]!);
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/** Whether the secret authenticates the confidential client (its hash when hash_secret is set). */
export function secretMatches(client: Client, secret: string | undefined): boolean {
  const stored = client.client_secret;
  if (typeof stored !== 'string' || secret === undefined) return false;
  if (client.hash_secret === true) return verifyPbkdf2(secret, stored);
  const a = Buffer.from(stored);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
