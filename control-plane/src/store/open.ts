import { createLogger, type Logger } from '@turnpike/shared';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Datastore, DatastoreTarget } from './types.ts';

export interface OpenOptions {
  /** Where connection losses and reconnects are reported; silent when omitted. */
  log?: Logger;
}

/** Opens the datastore a target names; throws DatabaseError when it cannot be reached. */
export function openDatastore(target: DatastoreTarget, options: OpenOptions = {}): Promise<Datastore> {
  switch (target.kind) {
    case 'memory':
      return openPglite(undefined);
    case 'pglite':
      return openPglite(target.dir);
    case 'postgres':
      return openPostgres(target, options.log ?? createLogger({ level: 'silent' }));
  }
}
