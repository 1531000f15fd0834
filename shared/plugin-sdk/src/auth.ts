/**
 * What Kong's authentication plugins share: setting the consumer and its upstream headers, and
 * finding the `anonymous` consumer. Each Kong auth plugin carries its own copy; here they share one.
 */
import type { EntityLookup, PluginConsumer, PluginContext, PluginCredential } from './context.ts';

/** Kong's upstream headers naming the authenticated consumer (kong/constants.lua HEADERS). */
export const CONSUMER_HEADERS = {
  CONSUMER_ID: 'X-Consumer-ID',
  CONSUMER_CUSTOM_ID: 'X-Consumer-Custom-ID',
  CONSUMER_USERNAME: 'X-Consumer-Username',
  CREDENTIAL_IDENTIFIER: 'X-Credential-Identifier',
  ANONYMOUS: 'X-Anonymous-Consumer',
  CONSUMER_GROUPS: 'X-Consumer-Groups',
  AUTHENTICATED_GROUPS: 'X-Authenticated-Groups',
} as const;

function setOrClear(ctx: PluginContext, name: string, value: string | null | undefined): void {
  if (typeof value === 'string' && value !== '') ctx.setUpstreamHeader(name, value);
  else ctx.clearUpstreamHeader(name);
}

/**
 * Kong's `set_consumer`: authenticates the request and sets the X-Consumer-* headers; without a
 * credential (the anonymous consumer) X-Anonymous-Consumer is `true`. `identifier` is what
 * X-Credential-Identifier carries (the credential id; jwt sends its key).
 */
export function authenticateConsumer(
  ctx: PluginContext,
  consumer: PluginConsumer | undefined,
  credential: PluginCredential | undefined,
  identifier: string | undefined = credential?.id,
): void {
  ctx.authenticate(consumer, credential);
  const H = CONSUMER_HEADERS;
  setOrClear(ctx, H.CONSUMER_ID, consumer?.id);
  setOrClear(ctx, H.CONSUMER_CUSTOM_ID, consumer?.custom_id);
  setOrClear(ctx, H.CONSUMER_USERNAME, consumer?.username);
  setOrClear(ctx, H.CREDENTIAL_IDENTIFIER, credential === undefined ? undefined : identifier);
  if (credential === undefined) ctx.setUpstreamHeader(H.ANONYMOUS, 'true');
  else ctx.clearUpstreamHeader(H.ANONYMOUS);
}

/** The consumer named by `anonymous`: an id, or else a username (Kong 3.x load_consumer). */
export function findConsumer(db: EntityLookup, idOrUsername: string): PluginConsumer | undefined {
  return db.get('consumers', idOrUsername) ?? db.findBy('consumers', 'username', idOrUsername);
}

/**
 * The end of a failed authentication, as every Kong auth plugin does it: with `anonymous`
 * configured the request goes on as that consumer (500 when it does not exist), otherwise the
 * plugin's error is sent.
 */
export function failAuthentication(
  ctx: PluginContext,
  anonymous: string | null | undefined,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  if (typeof anonymous === 'string' && anonymous !== '') {
    const consumer = findConsumer(ctx.db, anonymous);
    if (consumer === undefined) {
      // Kong 3.10's words (key-auth, basic-auth, jwt, hmac-auth, oauth2 alike).
      const message = `anonymous consumer ${anonymous} is configured but doesn't exist`;
      ctx.log.error({ anonymous }, message);
      ctx.response.exit(500, { message });
      return;
    }
    authenticateConsumer(ctx, consumer, undefined);
    return;
  }
  ctx.response.exit(status, body, headers);
}
