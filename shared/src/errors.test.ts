import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigInvalidError,
  DatabaseError,
  DatabaseUnavailableError,
  ERROR_CATALOGUE,
  InvalidOptionsError,
  InvalidUniqueError,
  KongError,
  NotFoundError,
  SchemaViolationError,
  TurnpikeError,
  UniqueViolationError,
} from './errors.ts';

test('every catalogue code says what it means and how to fix it', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    assert.ok(entry.meaning.length > 0 && entry.fix.length > 0, code);
  }
});

test('instanceof recognises errors by brand and code, including a copy from another module instance', () => {
  const err = new SchemaViolationError({ name: 'required field missing' });
  assert.ok(err instanceof SchemaViolationError);
  assert.ok(err instanceof KongError);
  assert.ok(err instanceof TurnpikeError);
  assert.ok(!(err instanceof NotFoundError));
  // What a second copy of @turnpike/shared would produce: same brand and code, another prototype.
  const foreign = Object.assign(Object.create(Error.prototype), {
    [Symbol.for('turnpike.error')]: true,
    code: 'TP_UNIQUE_VIOLATION',
    kongCode: 5,
  });
  assert.ok(foreign instanceof UniqueViolationError);
  assert.ok(foreign instanceof KongError);
  assert.ok(!(foreign instanceof ConfigInvalidError));
  assert.ok(!(new Error('plain') instanceof TurnpikeError));
});

test('a schema violation renders as Kong does: message, name, code 2 and the fields', () => {
  const err = new SchemaViolationError({
    protocol: 'expected one of: http, https',
    path: 'should start with: /',
  });
  assert.deepEqual(err.toJSON(), {
    message: 'schema violation (protocol: expected one of: http, https; path: should start with: /)',
    name: 'schema violation',
    code: 2,
    fields: { protocol: 'expected one of: http, https', path: 'should start with: /' },
  });
  assert.equal(err.status, 400);
});

test('DatabaseUnavailableError is a DatabaseError too, here and from another module instance', () => {
  const err = new DatabaseUnavailableError('[PostgreSQL error] connect ECONNREFUSED');
  assert.ok(err instanceof DatabaseUnavailableError);
  assert.ok(err instanceof DatabaseError);
  assert.ok(err instanceof TurnpikeError);
  assert.equal(err.code, 'TP_DATABASE_UNAVAILABLE');
  assert.ok(!(new DatabaseError('syntax error') instanceof DatabaseUnavailableError));
  const foreign = Object.assign(Object.create(Error.prototype), {
    [Symbol.for('turnpike.error')]: true,
    [Symbol.for('turnpike.error.lineage')]: ['TP_DATABASE_UNAVAILABLE', 'TP_DATABASE'],
    code: 'TP_DATABASE_UNAVAILABLE',
  });
  assert.ok(foreign instanceof DatabaseError);
  assert.ok(foreign instanceof DatabaseUnavailableError);
});

test("invalid options and invalid unique render as Kong's codes 11 and 10", () => {
  assert.deepEqual(new InvalidOptionsError({ tags: 'invalid filter syntax' }).toJSON(), {
    message: 'invalid option (tags: invalid filter syntax)',
    name: 'invalid options',
    code: 11,
    options: { tags: 'invalid filter syntax' },
  });
  assert.equal(
    new InvalidOptionsError({ tags: 'x', offset: 'y' }).message,
    '2 option violations (offset: y; tags: x)',
  );
  assert.deepEqual(new InvalidUniqueError('name', 'invalid value').toJSON(), {
    message: 'invalid value',
    name: 'invalid unique name',
    code: 10,
  });
});
