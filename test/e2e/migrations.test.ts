import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { runTurnpike } from '../helpers/turnpike.ts';

let pg: TestPostgres;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg[Symbol.asyncDispose]();
});

describe('turnpike migrations against PostgreSQL', () => {
  test('list, bootstrap, up, reset speak Kong and exit with its codes', async () => {
    const env = { TURNPIKE_DSN: await pg.newDatabase() };
    const fresh = await runTurnpike(['migrations', 'list'], env);
    assert.equal(fresh.code, 3, fresh.stderr);
    assert.match(fresh.stdout, /Database needs bootstrapping/);

    const boot = await runTurnpike(['migrations', 'bootstrap', '-e'], env);
    assert.equal(boot.code, 0, boot.stderr);
    assert.match(boot.stdout, /Bootstrapping database/);
    assert.match(boot.stdout, /Database is up-to-date/);

    const again = await runTurnpike(['migrations', 'bootstrap'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already bootstrapped/);

    const upToDate = await runTurnpike(['migrations', 'up', '-y'], env);
    assert.equal(upToDate.code, 0, upToDate.stderr);
    assert.match(upToDate.stdout, /Database is already up-to-date/);

    const listed = await runTurnpike(['migrations', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /Executed migrations/);
    assert.match(listed.stdout, /000_base/);

    const refused = await runTurnpike(['migrations', 'reset'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--yes/);
    assert.equal((await runTurnpike(['migrations', 'status'], env)).code, 0, 'nothing was dropped');

    const reset = await runTurnpike(['migrations', 'reset', '-y'], env);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal((await runTurnpike(['migrations', 'list'], env)).code, 3);
  });

  test('up -e -y on a new database bootstraps it, so one job serves installs and upgrades', async () => {
    const env = { TURNPIKE_DSN: await pg.newDatabase() };
    const first = await runTurnpike(['migrations', 'up', '-e', '-y'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Bootstrapping database/);
    const second = await runTurnpike(['migrations', 'up', '-e', '-y'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Database is already up-to-date/);
  });

  test('-e insists on the DSN coming from the environment', async () => {
    const result = await runTurnpike(['migrations', 'list', '-e']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /TURNPIKE_DSN/);
  });

  test('an unreachable database is an error that does not print the password', async () => {
    const result = await runTurnpike(['migrations', 'list'], {
      TURNPIKE_DSN: 'postgres://turnpike:pw-must-not-show@127.0.0.1:1/turnpike',
      TURNPIKE_PG_TIMEOUT: '2000',
    });
    assert.equal(result.code, 1);
    assert.doesNotMatch(result.stdout + result.stderr, /pw-must-not-show/);
  });
});
