/** Kong's snis entity: a server name (wildcards allowed) pointing at a certificate. */
import * as t from '../typedefs.ts';
import type { EntityDefinition } from '../types.ts';

export const snis = {
  name: 'snis',
  endpoint: '/snis',
  primary_key: ['id'],
  endpoint_key: 'name',
  fields: {
    id: t.uuid(),
    name: t.wildcardHost({ required: true, unique: true }),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    tags: t.tags(),
    // Kong's certificates DAO deletes a certificate's SNIs with it.
    certificate: { type: 'foreign', reference: 'certificates', required: true, on_delete: 'cascade' },
  },
} as const satisfies EntityDefinition;
