/** key-auth's credentials (kong/plugins/key-auth/daos.lua): an API key per consumer. */
import * as t from '../typedefs.ts';
import type { EntityDefinition, ForeignField } from '../types.ts';

const consumer = {
  type: 'foreign',
  reference: 'consumers',
  required: true,
  on_delete: 'cascade',
} as const satisfies ForeignField;

export const keyauthCredentials = {
  name: 'keyauth_credentials',
  plugin: 'key-auth',
  endpoint: '/key-auths',
  nested_endpoint: 'key-auth',
  primary_key: ['id'],
  endpoint_key: 'key',
  cache_key: ['key'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    consumer,
    // Stored in clear as Kong does: the proxy looks credentials up by key on every request.
    key: { type: 'string', required: false, unique: true, auto: true },
    tags: t.tags(),
  },
} as const satisfies EntityDefinition;
