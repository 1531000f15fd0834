import type { Migration } from './types.ts';

/**
 * hmac-auth's credentials (Kong's hmacauth_credentials), laid out as the entity tables of
 * 001_entities: `username` (the endpoint and cache key, unique) and the consumer as columns.
 * Constraint names are the ones dao/model.ts derives.
 */
export const migration: Migration = {
  name: '004_hmac_auth',
  up: /* sql */ `
    CREATE TABLE IF NOT EXISTS hmacauth_credentials (
      id          uuid        PRIMARY KEY,
      created_at  timestamptz NOT NULL,
      updated_at  timestamptz NOT NULL,
      tags        text[],
      consumer_id uuid        NOT NULL CONSTRAINT hmacauth_credentials_consumer_id_fkey
                              REFERENCES consumers (id) ON DELETE CASCADE,
      username    text        NOT NULL CONSTRAINT hmacauth_credentials_username_key UNIQUE,
      entity      jsonb       NOT NULL
    );
    CREATE INDEX IF NOT EXISTS hmacauth_credentials_tags_idx ON hmacauth_credentials USING gin (tags);
    CREATE INDEX IF NOT EXISTS hmacauth_credentials_consumer_id_idx ON hmacauth_credentials (consumer_id);
  `,
};
