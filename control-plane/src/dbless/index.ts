/** DB-less mode (`database = off`): the declarative file as the whole configuration, in memory. */
export { type InitialDeclarative, readInitialDeclarative } from './initial.ts';
export { createMemoryDao, type TablesView } from './memory-dao.ts';
export { DblessState, EMPTY_CONFIGURATION_HASH } from './state.ts';
export { buildTables, entitySetOf, type Table, type Tables } from './tables.ts';
