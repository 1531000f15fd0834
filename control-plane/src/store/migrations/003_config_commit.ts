import type { Migration } from './types.ts';

/**
 * The config version taken at commit instead of mid-transaction (see ../config-version.ts
 * `recordConfigChanges`). A writer appends its changes to `config_pending`; a deferred
 * constraint trigger, fired by PostgreSQL inside COMMIT, bumps `config_state`, moves the
 * changes into `config_changes` under that version and queues the NOTIFY. The row lock on
 * config_state that orders versions is then held for the few microseconds of the commit
 * itself, not across the writer's round trips, so concurrent writers no longer queue behind
 * each other. The trigger fires once per recording call (`first`), not once per change.
 * Only adds: a node of the previous version keeps bumping the version itself.
 */
export const migration: Migration = {
  name: '003_config_commit',
  up: /* sql */ `
    CREATE TABLE IF NOT EXISTS config_pending (
      txid   bigint  NOT NULL DEFAULT txid_current(),
      seq    bigint  GENERATED ALWAYS AS IDENTITY,
      -- the first change of one recording call: the trigger fires for it only
      first  boolean NOT NULL,
      entity text    NOT NULL,
      id     uuid    NOT NULL,
      op     text    NOT NULL CHECK (op IN ('upsert', 'delete')),
      PRIMARY KEY (txid, seq)
    );

    CREATE OR REPLACE FUNCTION turnpike_config_commit() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      v bigint;
    BEGIN
      -- A second recording call in the same transaction: its changes were moved by the first.
      IF NOT EXISTS (SELECT 1 FROM config_pending WHERE txid = NEW.txid) THEN
        RETURN NULL;
      END IF;
      UPDATE config_state SET config_version = config_version + 1, updated_at = now()
        WHERE id RETURNING config_version INTO v;
      IF v IS NULL THEN
        RAISE EXCEPTION 'config_state has no row: run ''turnpike migrations bootstrap''';
      END IF;
      INSERT INTO config_changes (version, position, entity, id, op)
        SELECT v, row_number() OVER (ORDER BY seq), entity, id, op
        FROM config_pending WHERE txid = NEW.txid;
      DELETE FROM config_pending WHERE txid = NEW.txid;
      PERFORM pg_notify('turnpike_config', v::text);
      RETURN NULL;
    END
    $$;

    DROP TRIGGER IF EXISTS config_pending_commit ON config_pending;
    CREATE CONSTRAINT TRIGGER config_pending_commit
      AFTER INSERT ON config_pending
      DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (NEW.first)
      EXECUTE FUNCTION turnpike_config_commit();
  `,
};
