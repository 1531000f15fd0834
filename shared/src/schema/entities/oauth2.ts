/**
 * oauth2's entities (Kong 3.10 kong/plugins/oauth2/daos.lua): the client applications
 * (oauth2_credentials) and the tokens issued to them (oauth2_tokens). Kong's third,
 * oauth2_authorization_codes, has no Admin API and is not exported; it is a table of migration
 * 005_oauth2 only, written by a traditional node's proxy (control-plane/src/plugin-writes/oauth2.ts).
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import * as t from '../typedefs.ts';
import type { EntityDefinition, ForeignField } from '../types.ts';

/** Kong's redirect_uris check (socket.url.parse): a scheme and a host, no fragment. */
function validateRedirectUri(uri: string): string | undefined {
  const m = /^[A-Za-z0-9][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  const authority = m?.[1]?.replace(/^.*@/, '').replace(/:\d*$/, '');
  if (authority === undefined || authority === '') return `cannot parse '${uri}'`;
  if (uri.includes('#')) return `fragment not allowed in '${uri}'`;
  return undefined;
}

/** Kong's secret.lua PBKDF2 (the algorithm Kong 3.x CE enables): PHC `$pbkdf2-sha512$i=10000,l=32$salt$hash`. */
export const PBKDF2_PREFIX = '$pbkdf2-sha512$';

export function hashClientSecret(secret: string, salt: Buffer = randomBytes(16)): string {
  const hash = pbkdf2Sync(secret, salt, 10000, 32, 'sha512');
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `${PBKDF2_PREFIX}i=10000,l=32$${b64(salt)}$${b64(hash)}`;
}

const consumer = {
  type: 'foreign',
  reference: 'consumers',
  required: true,
  on_delete: 'cascade',
} as const satisfies ForeignField;

export const oauth2Credentials = {
  name: 'oauth2_credentials',
  plugin: 'oauth2',
  endpoint: '/oauth2',
  nested_endpoint: 'oauth2',
  primary_key: ['id'],
  endpoint_key: 'client_id',
  cache_key: ['client_id'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    consumer,
    name: { type: 'string', required: true },
    client_id: { type: 'string', required: false, unique: true, auto: true },
    // Encrypted at rest; with hash_secret a PBKDF2 hash (Kong's transformation).
    client_secret: { type: 'string', required: false, auto: true, sensitive: 'encrypt' },
    hash_secret: { type: 'boolean', required: true, default: false },
    redirect_uris: {
      type: 'array',
      required: false,
      elements: {
        type: 'string',
        custom_validator: validateRedirectUri as (value: never) => string | undefined,
      },
    },
    tags: t.tags(),
    client_type: {
      type: 'string',
      required: true,
      default: 'confidential',
      one_of: ['confidential', 'public'],
    },
  },
  transformations: [
    {
      input: ['client_secret'],
      on_write: (e) =>
        e.hash_secret === true && !String(e.client_secret).startsWith(PBKDF2_PREFIX)
          ? { client_secret: hashClientSecret(String(e.client_secret)) }
          : {},
    },
  ],
} as const satisfies EntityDefinition;

export const oauth2Tokens = {
  name: 'oauth2_tokens',
  plugin: 'oauth2',
  endpoint: '/oauth2_tokens',
  primary_key: ['id'],
  endpoint_key: 'access_token',
  cache_key: ['access_token'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    service: { type: 'foreign', reference: 'services', default: null, on_delete: 'cascade' },
    credential: { type: 'foreign', reference: 'oauth2_credentials', required: true, on_delete: 'cascade' },
    token_type: { type: 'string', required: true, one_of: ['bearer'], default: 'bearer' },
    expires_in: { type: 'integer', required: true },
    access_token: { type: 'string', required: false, unique: true, auto: true },
    refresh_token: { type: 'string', required: false, unique: true },
    authenticated_userid: { type: 'string', required: false },
    scope: { type: 'string' },
  },
} as const satisfies EntityDefinition;
