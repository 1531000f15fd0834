import { createLogger, type Logger } from '@turnpike/shared';
import type { Datastore, DatastoreTarget } from './types.ts';

export interface OpenOptions {
  /** Where connection losses and reconnects are reported; silent when omitted. */
  log?: Logger;
}

/**
 * Opens the datastore a target names; throws DatabaseError when it cannot be reached. Each
 * driver is imported only when used: a DB-less node (or one on PostgreSQL) never loads PGlite.
 */
export async function openDatastore(target: DatastoreTarget, options: OpenOptions = {}): Promise<Datastore> {
  switch (target.kind) {
    case 'memory':
      return (await import('./pglite.ts')).openPglite(undefined);
    case 'pglite':
      return (await import('./pglite.ts')).openPglite(target.dir);
    case 'postgres':
      return (await import('./postgres.ts')).openPostgres(
        target,
        options.log ?? createLogger({ level: 'silent' }),
      );
  }
}
