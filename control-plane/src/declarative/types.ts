import type { EntityName } from '@turnpike/shared/schema';
import type { EntityRow } from '../dao/types.ts';

/** The `_format_version` Turnpike writes, and what every file it reads becomes (Kong 3.x's). */
export const FORMAT_VERSION = '3.0';

/** What Kong 3.10 reads: 1.1 and 2.1 files are migrated on the fly (legacy-paths.ts). */
export const ACCEPTED_FORMAT_VERSIONS: readonly string[] = ['1.1', '2.1', '3.0'];

/**
 * A parsed, validated declarative configuration: every entity flattened out of its parent,
 * with an id (given, or Kong's deterministic one), defaults filled, foreign keys as `{ id }`.
 * Entities are listed per type in the order they appear in the file.
 */
export interface DeclarativeConfig {
  readonly formatVersion: typeof FORMAT_VERSION;
  /** `_transform` (default true): Turnpike's DAO never hashes a hash twice, so it is informative. */
  readonly transform: boolean;
  readonly entities: { readonly [N in EntityName]: readonly EntityRow[] };
}
