/**
 * basic-auth (Kong 3.x kong/plugins/basic-auth/access.lua): a username and password from
 * `Proxy-Authorization` or `Authorization`, checked against the credential's scrypt hash.
 * Verifying costs tens of ms, so verified (credential, password digest) pairs are remembered for
 * the configuration version (a changed password is a new version, which empties the cache).
 */
import { createHash } from 'node:crypto';
import {
  authenticateConsumer,
  definePluginHandler,
  failAuthentication,
  type PluginContext,
  verifyPassword,
} from '@turnpike/plugin-sdk';
import { type BasicCredentials, parseBasic } from './credentials.ts';
import type { BasicAuthConfig } from './schema.ts';

export const UNAUTHORIZED = { message: 'Unauthorized' };
export const INVALID = { message: 'Invalid authentication credentials' };
/** Bounds the verified-pairs cache; it only ever holds correct passwords, so this is generous. */
const MAX_VERIFIED = 10_000;

/** What verifying needs of a basicauth_credentials entity. */
export interface StoredPassword {
  readonly id: string;
  readonly password?: unknown;
}

export async function verified(
  ctx: PluginContext,
  credential: StoredPassword,
  password: string,
): Promise<boolean> {
  const stored = credential.password;
  if (typeof stored !== 'string') return false;
  const key = `${credential.id}:${createHash('sha256').update(password).digest('base64')}`;
  if (ctx.cache.get(key) === stored) return true;
  if (!(await verifyPassword(password, stored))) return false;
  if (ctx.cache.size >= MAX_VERIFIED) ctx.cache.clear();
  ctx.cache.set(key, stored);
  return true;
}

function lookup(ctx: PluginContext, given: BasicCredentials | undefined) {
  return given === undefined ? undefined : ctx.db.findBy('basicauth_credentials', 'username', given.username);
}

export const handler = definePluginHandler<BasicAuthConfig>({
  name: 'basic-auth',
  version: '3.9.0',
  priority: 1100,
  sdkVersion: '1.0.0',

  async access(ctx, conf) {
    if (conf.anonymous != null && ctx.credential !== undefined) return;
    const challenge = { 'WWW-Authenticate': `Basic realm="${conf.realm}"` };
    const proxyAuth = ctx.request.header('proxy-authorization');
    const auth = ctx.request.header('authorization');
    if (proxyAuth === undefined && auth === undefined) {
      failAuthentication(ctx, conf.anonymous, 401, UNAUTHORIZED, challenge);
      return;
    }
    // Proxy-Authorization first, then Authorization, as Kong.
    let given = parseBasic(proxyAuth);
    let credential = lookup(ctx, given);
    if (credential === undefined) {
      given = parseBasic(auth);
      credential = lookup(ctx, given);
    }
    const consumer =
      credential?.consumer == null ? undefined : ctx.db.get('consumers', credential.consumer.id);
    if (
      given === undefined ||
      credential === undefined ||
      consumer === undefined ||
      !(await verified(ctx, credential, given.password))
    ) {
      failAuthentication(ctx, conf.anonymous, 401, INVALID, challenge);
      return;
    }
    if (conf.hide_credentials) {
      ctx.clearUpstreamHeader('authorization');
      ctx.clearUpstreamHeader('proxy-authorization');
    }
    authenticateConsumer(ctx, consumer, credential);
  },
});
