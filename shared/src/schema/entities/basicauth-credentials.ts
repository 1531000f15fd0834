/** basic-auth's credentials (kong/plugins/basic-auth/daos.lua): a username and a hashed password. */
import * as t from '../typedefs.ts';
import type { EntityDefinition, ForeignField } from '../types.ts';

const consumer = {
  type: 'foreign',
  reference: 'consumers',
  required: true,
  on_delete: 'cascade',
} as const satisfies ForeignField;

export const basicauthCredentials = {
  name: 'basicauth_credentials',
  plugin: 'basic-auth',
  endpoint: '/basic-auths',
  nested_endpoint: 'basic-auth',
  primary_key: ['id'],
  endpoint_key: 'username',
  cache_key: ['username'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    consumer,
    username: { type: 'string', required: true, unique: true },
    // Hashed by the store with the consumer id, as Kong's basic-auth crypto does.
    password: { type: 'string', required: true, sensitive: 'hash' },
    tags: t.tags(),
  },
} as const satisfies EntityDefinition;
