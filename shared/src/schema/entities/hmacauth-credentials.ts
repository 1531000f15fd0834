/** hmac-auth's credentials (kong/plugins/hmac-auth/daos.lua): a username and a shared secret. */
import * as t from '../typedefs.ts';
import type { EntityDefinition, ForeignField } from '../types.ts';

const consumer = {
  type: 'foreign',
  reference: 'consumers',
  required: true,
  on_delete: 'cascade',
} as const satisfies ForeignField;

export const hmacauthCredentials = {
  name: 'hmacauth_credentials',
  plugin: 'hmac-auth',
  endpoint: '/hmac-auths',
  nested_endpoint: 'hmac-auth',
  primary_key: ['id'],
  endpoint_key: 'username',
  cache_key: ['username'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    consumer,
    username: { type: 'string', required: true, unique: true },
    // Generated when absent, as Kong's `auto`; encrypted at rest, in clear on the data planes
    // (the proxy signs with it).
    secret: { type: 'string', auto: true, sensitive: 'encrypt' },
    tags: t.tags(),
  },
} as const satisfies EntityDefinition;
