/**
 * Kong's vaults entity (kong/db/schema/entities/vaults.lua): a named configuration of a vault
 * strategy, addressed by its `prefix` in references (`{vault://<prefix>/<resource>}`). `name`
 * picks the strategy and its `config` schema; the one bundled is `env`
 * (kong/vaults/env/schema.lua), which reads the data plane's environment.
 */
import * as t from '../typedefs.ts';
import type { EntityDefinition } from '../types.ts';

/** The vault strategies this gateway bundles (Kong's BUNDLED_VAULTS in OSS). */
export const BUNDLED_VAULTS = ['env'] as const;

export const vaults = {
  name: 'vaults',
  endpoint: '/vaults',
  primary_key: ['id'],
  endpoint_key: 'prefix',
  cache_key: ['prefix'],
  subschema_key: 'name',
  subschema_error: "vault '%s' is not installed",
  fields: {
    id: t.uuid(),
    // A reference's host part: {vault://<prefix>/<secret-id>[/<secret-key>]}.
    prefix: {
      type: 'string',
      required: true,
      unique: true,
      match: /^[a-z][a-z0-9-]*[a-z0-9]$/,
      not_one_of: BUNDLED_VAULTS,
      description: 'The unique prefix (or identifier) for this Vault configuration.',
    },
    name: { type: 'string', required: true, description: "The name of the Vault that's going to be added." },
    description: { type: 'string', description: 'The description of the Vault entity.' },
    config: { type: 'record', abstract: true, fields: {} },
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    tags: t.tags(),
  },
  subschemas: {
    env: {
      name: 'env',
      fields: {
        config: {
          type: 'record',
          fields: {
            prefix: {
              type: 'string',
              match: /^[A-Za-z_-][A-Za-z0-9_-]*$/,
              description: 'The prefix for the environment variable that the value will be stored in.',
            },
          },
        },
      },
    },
  },
} as const satisfies EntityDefinition;
