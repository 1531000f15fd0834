import { migration as m000Base } from './000_base.ts';
import { migration as m001Entities } from './001_entities.ts';
import { migration as m002Vaults } from './002_vaults.ts';
import { migration as m003ConfigCommit } from './003_config_commit.ts';
import { migration as m004HmacAuth } from './004_hmac_auth.ts';
import { migration as m005Oauth2 } from './005_oauth2.ts';
import type { MigrationSet } from './types.ts';

export type { Migration, MigrationSet } from './types.ts';

/** Core migrations in the order they run. A new one is a new file appended here. */
export const CORE_MIGRATIONS = [
  m000Base,
  m001Entities,
  m002Vaults,
  m003ConfigCommit,
  m004HmacAuth,
  m005Oauth2,
] as const;

/** Every subsystem's migrations, core first. */
export const MIGRATION_SETS: readonly MigrationSet[] = [{ subsystem: 'core', migrations: CORE_MIGRATIONS }];
