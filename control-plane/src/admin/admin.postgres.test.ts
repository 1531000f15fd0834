// The Admin API suites on a real PostgreSQL: a fresh database for each suite.
import { after } from 'node:test';
import { startPostgres, type TestPostgres } from '../../../test/helpers/postgres.ts';
import { conformanceCases } from './conformance.cases.ts';
import { entityCases } from './entities.cases.ts';
import { hostileCases } from './hostile.cases.ts';
import { serverCases } from './server.cases.ts';
import { openTestAdmin } from './testing/fixture.ts';

let pg: Promise<TestPostgres> | undefined;
const database = async () => {
  pg ??= startPostgres();
  return (await pg).newDatabase();
};
after(async () => (await pg)?.[Symbol.asyncDispose]());

entityCases(async (overrides) => openTestAdmin(overrides, { dsn: await database() }));
serverCases(async (overrides) => openTestAdmin(overrides, { dsn: await database() }));
hostileCases(async (overrides) => openTestAdmin(overrides, { dsn: await database() }));
conformanceCases(async (overrides) => openTestAdmin(overrides, { dsn: await database() }));
