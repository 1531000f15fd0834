import { after, before } from 'node:test';
import { createLogger } from '@turnpike/shared';
import { startPostgres, type TestPostgres } from '../../../test/helpers/postgres.ts';
import { openPostgres } from '../store/postgres.ts';
import { daoSuite } from './dao.cases.ts';

let server: TestPostgres | undefined;
before(async () => {
  server = await startPostgres();
});
after(() => server?.[Symbol.asyncDispose]());

daoSuite({
  name: 'PostgreSQL',
  open: async () => {
    if (server === undefined) throw new Error('PostgreSQL did not start');
    return openPostgres(
      { kind: 'postgres', connectionString: await server.newDatabase() },
      createLogger({ level: 'silent' }),
    );
  },
});
