import type { Migration } from './types.ts';

/**
 * The config version and its change log, which every entity write bumps and appends to in
 * its own transaction (see ../config-version.ts). Entity tables come in 001_entities.
 */
export const migration: Migration = {
  name: '000_base',
  up: /* sql */ `
    CREATE TABLE IF NOT EXISTS config_state (
      -- a single row: the primary key can only be true
      id             boolean     PRIMARY KEY DEFAULT true CHECK (id),
      config_version bigint      NOT NULL DEFAULT 0,
      -- config_changes holds every change of the versions above this one
      log_floor      bigint      NOT NULL DEFAULT 0,
      updated_at     timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO config_state (id) VALUES (true) ON CONFLICT (id) DO NOTHING;

    CREATE TABLE IF NOT EXISTS config_changes (
      version  bigint      NOT NULL,
      -- order of the changes within one version
      position integer     NOT NULL,
      entity   text        NOT NULL,
      id       uuid        NOT NULL,
      op       text        NOT NULL CHECK (op IN ('upsert', 'delete')),
      at       timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (version, position)
    );
  `,
};
