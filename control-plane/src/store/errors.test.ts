import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatabaseError, DatabaseUnavailableError } from '@turnpike/shared';
import { isUnavailable, pgErrorInfo, redactDsn, sqlStateOf, toDatabaseError } from './errors.ts';

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

test('a server out of reach is told apart from a statement it refused', () => {
  const unreachable = [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      severity: 'FATAL',
    }),
    Object.assign(new Error('the database system is shutting down'), { code: '57P03' }),
    Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
    Object.assign(new Error('connection failure'), { code: '08006' }),
    new Error('Connection terminated unexpectedly'),
    new Error('Client has encountered a connection error and is not queryable'),
    new Error('timeout exceeded when trying to connect'),
    new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]),
  ];
  for (const err of unreachable) {
    assert.ok(isUnavailable(err), err.message);
    assert.ok(toDatabaseError(err, 'PostgreSQL') instanceof DatabaseUnavailableError, err.message);
  }
  const refused = [
    Object.assign(new Error('duplicate key'), { code: '23505' }),
    Object.assign(new Error('syntax error'), { code: '42601' }),
    Object.assign(new Error('invalid byte sequence'), { code: '22021' }),
    new Error('something else'),
  ];
  for (const err of refused) {
    assert.ok(!isUnavailable(err), err.message);
    const wrapped = toDatabaseError(err, 'PostgreSQL');
    assert.ok(wrapped instanceof DatabaseError && !(wrapped instanceof DatabaseUnavailableError));
  }
});
