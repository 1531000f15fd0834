/**
 * basic-auth (Kong 3.x kong/plugins/basic-auth/access.lua): a username and password from
 * `Proxy-Authorization` or `Authorization`, checked against the credential's scrypt hash.
 * Verifying costs tens of ms, so verified (credential, password digest) pairs are remembered in
 * the instance's ctx.cache, which outlives configuration versions; an entry counts only while the
 * credential's stored hash is the one it was verified against (a changed password misses).
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

function cacheKey(credential: StoredPassword, password: string): string {
  return `${credential.id}:${createHash('sha256').update(password).digest('base64')}`;
}

/** True when this (credential, password) pair was verified before with the same stored hash. */
export function knownGood(ctx: PluginContext, credential: StoredPassword, password: string): boolean {
  const stored = credential.password;
  return typeof stored === 'string' && ctx.cache.get(cacheKey(credential, password)) === stored;
}

/** Checks the password against the stored scrypt hash (tens of ms, off the event loop). */
export async function verified(
  ctx: PluginContext,
  credential: StoredPassword,
  password: string,
): Promise<boolean> {
  const stored = credential.password;
  if (typeof stored !== 'string') return false;
  if (knownGood(ctx, credential, password)) return true;
  if (!(await verifyPassword(password, stored))) return false;
  if (ctx.cache.size >= MAX_VERIFIED) ctx.cache.clear();
  ctx.cache.set(cacheKey(credential, password), stored);
  return true;
}

function lookup(ctx: PluginContext, given: BasicCredentials | undefined) {
  return given === undefined ? undefined : ctx.db.findBy('basicauth_credentials', 'username', given.username);
}

type Credential = NonNullable<ReturnType<typeof lookup>>;
type Consumer = NonNullable<ReturnType<PluginContext['db']['get']>>;

function accept(ctx: PluginContext, conf: BasicAuthConfig, consumer: Consumer, credential: Credential): void {
  if (conf.hide_credentials) {
    ctx.clearUpstreamHeader('authorization');
    ctx.clearUpstreamHeader('proxy-authorization');
  }
  authenticateConsumer(ctx, consumer, credential);
}

async function verifyThenAccept(
  ctx: PluginContext,
  conf: BasicAuthConfig,
  consumer: Consumer,
  credential: Credential,
  password: string,
  challenge: Readonly<Record<string, string>>,
): Promise<void> {
  if (await verified(ctx, credential, password)) accept(ctx, conf, consumer, credential);
  else failAuthentication(ctx, conf.anonymous, 401, INVALID, challenge);
}

export const handler = definePluginHandler<BasicAuthConfig>({
  name: 'basic-auth',
  version: '3.10.0',
  priority: 1100,
  sdkVersion: '1.0.0',

  // Synchronous when the pair was verified before (the cache): a promise only for a scrypt check.
  access(ctx, conf): Promise<void> | undefined {
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
    if (given === undefined || credential === undefined || consumer === undefined) {
      failAuthentication(ctx, conf.anonymous, 401, INVALID, challenge);
      return;
    }
    if (knownGood(ctx, credential, given.password)) {
      accept(ctx, conf, consumer, credential);
      return;
    }
    return verifyThenAccept(ctx, conf, consumer, credential, given.password, challenge);
  },
});
