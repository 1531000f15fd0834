/** acl's group memberships (kong/plugins/acl/daos.lua): a consumer belongs to a group. */
import * as t from '../typedefs.ts';
import type { EntityDefinition, ForeignField } from '../types.ts';

const consumer = {
  type: 'foreign',
  reference: 'consumers',
  required: true,
  on_delete: 'cascade',
} as const satisfies ForeignField;

export const acls = {
  name: 'acls',
  plugin: 'acl',
  endpoint: '/acls',
  nested_endpoint: 'acls',
  primary_key: ['id'],
  endpoint_key: 'group',
  cache_key: ['consumer', 'group'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    consumer,
    group: { type: 'string', required: true },
    tags: t.tags(),
  },
} as const satisfies EntityDefinition;
