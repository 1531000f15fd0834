/** Kong's consumers entity: a username or a custom_id (or both), each unique. */
import * as t from '../typedefs.ts';
import type { EntityDefinition } from '../types.ts';

export const consumers = {
  name: 'consumers',
  endpoint: '/consumers',
  primary_key: ['id'],
  endpoint_key: 'username',
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    username: { type: 'string', unique: true },
    custom_id: { type: 'string', unique: true },
    tags: t.tags(),
  },
  entity_checks: [{ at_least_one_of: ['custom_id', 'username'] }],
} as const satisfies EntityDefinition;
