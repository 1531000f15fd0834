import type { Migration } from './types.ts';

/**
 * Kong's vaults entity (its `sm_vaults` table): the same layout as the entity tables of
 * 001_entities, with `prefix` (the endpoint key, unique) as a column. Constraint names are the
 * ones dao/model.ts derives.
 */
export const migration: Migration = {
  name: '002_vaults',
  up: /* sql */ `
    CREATE TABLE IF NOT EXISTS vaults (
      id         uuid        PRIMARY KEY,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      tags       text[],
      prefix     text        NOT NULL CONSTRAINT vaults_prefix_key UNIQUE,
      entity     jsonb       NOT NULL
    );
    CREATE INDEX IF NOT EXISTS vaults_tags_idx ON vaults USING gin (tags);
  `,
};
