import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatabaseError } from '@turnpike/shared';
import { pgErrorInfo, redactDsn, sqlStateOf, toDatabaseError } from './errors.ts';

test('redactDsn hides the password of URL and key=value DSNs and keeps the rest', () => {
  assert.equal(redactDsn('postgres://kong:s3cret@db:5432/kong'), 'postgres://kong:***@db:5432/kong');
  assert.equal(redactDsn('postgres://kong@db/kong'), 'postgres://kong@db/kong');
  assert.equal(
    redactDsn('postgres://db/kong?password=s3cret&sslmode=require'),
    'postgres://db/kong?password=***&sslmode=require',
  );
  assert.equal(redactDsn("host=db password='a b' user=kong"), 'host=db password=*** user=kong');
});

test('a driver error becomes DatabaseError keeping SQLSTATE and constraint but not the query parameters', () => {
  const driverError = Object.assign(
    new Error('duplicate key value violates unique constraint "services_name_key"'),
    {
      code: '23505',
      severity: 'ERROR',
      constraint: 'services_name_key',
      table: 'services',
      params: ['the-secret-value'],
    },
  );
  const err = toDatabaseError(driverError, 'PostgreSQL');
  assert.ok(err instanceof DatabaseError);
  assert.equal(
    err.message,
    '[PostgreSQL error] duplicate key value violates unique constraint "services_name_key"',
  );
  assert.equal(sqlStateOf(err), '23505');
  assert.deepEqual(pgErrorInfo(err), {
    sqlState: '23505',
    constraint: 'services_name_key',
    table: 'services',
  });
  assert.ok(!JSON.stringify(err.cause).includes('the-secret-value'));
});

test('a known password is scrubbed from an error message', () => {
  const err = toDatabaseError(
    new Error('failed for hunter2hunter2'),
    'PostgreSQL',
    'could not connect',
    'hunter2hunter2',
  );
  assert.equal(err.message, '[PostgreSQL error] could not connect: failed for ***');
});
