/**
 * One schema change, as Kong splits it: `up` runs with `migrations up` and only adds
 * (tables, columns, indexes) so nodes of the previous version keep working; `teardown` runs
 * with `migrations finish`, once every node runs the new version, and may remove or rewrite.
 */
export interface Migration {
  /** `NNN_what`, unique within its subsystem; recorded in schema_meta, never renamed. */
  readonly name: string;
  /** SQL, several statements allowed. Runs in one transaction with its schema_meta record. */
  readonly up: string;
  readonly teardown?: string;
}

/** The ordered migrations of one subsystem: `core`, later one per plugin that owns tables. */
export interface MigrationSet {
  readonly subsystem: string;
  readonly migrations: readonly Migration[];
}
