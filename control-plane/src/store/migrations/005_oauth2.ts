import type { Migration } from './types.ts';

/**
 * oauth2's tables (Kong's oauth2_credentials, oauth2_tokens, oauth2_authorization_codes), laid
 * out as the entity tables of 001_entities: the unique and foreign fields as columns, the whole
 * entity in `entity`. Constraint names are the ones dao/model.ts derives. Authorization codes
 * are not an entity of the Admin API (Kong's generate_admin_api = false); their table holds
 * Kong's columns, with `expires_at` for Kong's 300 s ttl.
 */
export const migration: Migration = {
  name: '005_oauth2',
  up: /* sql */ `
    CREATE TABLE IF NOT EXISTS oauth2_credentials (
      id          uuid        PRIMARY KEY,
      created_at  timestamptz NOT NULL,
      updated_at  timestamptz NOT NULL,
      tags        text[],
      consumer_id uuid        NOT NULL CONSTRAINT oauth2_credentials_consumer_id_fkey
                              REFERENCES consumers (id) ON DELETE CASCADE,
      client_id   text        NOT NULL CONSTRAINT oauth2_credentials_client_id_key UNIQUE,
      entity      jsonb       NOT NULL
    );
    CREATE INDEX IF NOT EXISTS oauth2_credentials_tags_idx ON oauth2_credentials USING gin (tags);
    CREATE INDEX IF NOT EXISTS oauth2_credentials_consumer_id_idx ON oauth2_credentials (consumer_id);

    CREATE TABLE IF NOT EXISTS oauth2_tokens (
      id            uuid        PRIMARY KEY,
      created_at    timestamptz NOT NULL,
      updated_at    timestamptz NOT NULL,
      tags          text[],
      service_id    uuid        CONSTRAINT oauth2_tokens_service_id_fkey
                                REFERENCES services (id) ON DELETE CASCADE,
      credential_id uuid        NOT NULL CONSTRAINT oauth2_tokens_credential_id_fkey
                                REFERENCES oauth2_credentials (id) ON DELETE CASCADE,
      access_token  text        NOT NULL CONSTRAINT oauth2_tokens_access_token_key UNIQUE,
      refresh_token text        CONSTRAINT oauth2_tokens_refresh_token_key UNIQUE,
      entity        jsonb       NOT NULL
    );
    CREATE INDEX IF NOT EXISTS oauth2_tokens_tags_idx ON oauth2_tokens USING gin (tags);
    CREATE INDEX IF NOT EXISTS oauth2_tokens_service_id_idx ON oauth2_tokens (service_id);
    CREATE INDEX IF NOT EXISTS oauth2_tokens_credential_id_idx ON oauth2_tokens (credential_id);

    CREATE TABLE IF NOT EXISTS oauth2_authorization_codes (
      id                   uuid        PRIMARY KEY,
      created_at           timestamptz NOT NULL,
      expires_at           timestamptz NOT NULL,
      service_id           uuid        CONSTRAINT oauth2_authorization_codes_service_id_fkey
                                       REFERENCES services (id) ON DELETE CASCADE,
      credential_id        uuid        NOT NULL CONSTRAINT oauth2_authorization_codes_credential_id_fkey
                                       REFERENCES oauth2_credentials (id) ON DELETE CASCADE,
      plugin_id            uuid        CONSTRAINT oauth2_authorization_codes_plugin_id_fkey
                                       REFERENCES plugins (id) ON DELETE CASCADE,
      code                 text        NOT NULL CONSTRAINT oauth2_authorization_codes_code_key UNIQUE,
      authenticated_userid text,
      scope                text,
      challenge            text,
      challenge_method     text
    );
    CREATE INDEX IF NOT EXISTS oauth2_authorization_codes_credential_id_idx
      ON oauth2_authorization_codes (credential_id);
    CREATE INDEX IF NOT EXISTS oauth2_authorization_codes_expires_at_idx
      ON oauth2_authorization_codes (expires_at);
  `,
};
