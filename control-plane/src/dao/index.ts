/** The DAO: generic entity CRUD over the Datastore, with Kong's errors and config versioning. */
export { createDao } from './dao.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination.ts';
export type { ChangedEntity, EntitySet, SnapshotReader } from './snapshot-read.ts';
export type * from './types.ts';
