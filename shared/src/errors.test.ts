import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigInvalidError,
  DatabaseError,
  DatabaseUnavailableError,
  ERROR_CATALOGUE,
  ForeignKeysUnresolvedError,
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
    message: '2 schema violations (path: should start with: /; protocol: expected one of: http, https)',
    name: 'schema violation',
    code: 2,
    fields: { protocol: 'expected one of: http, https', path: 'should start with: /' },
  });
  assert.equal(err.status, 400);
});

test("schema violation messages are Kong's: @entity first, fields sorted, nested keys dotted once", () => {
  assert.equal(
    new SchemaViolationError({
      '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    }).message,
    "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
  );
  assert.equal(
    new SchemaViolationError({
      retries: 'value should be between 0 and 32767',
      host: 'required field missing',
      '@entity': ['first', 'second'],
    }).message,
    '4 schema violations (first; second; host: required field missing; retries: value should be between 0 and 32767)',
  );
  // Arrays by 1-based index, records by key; a table below that is pretty-printed as penlight does.
  assert.equal(
    new SchemaViolationError({
      paths: [null, 'should start with: /'],
      healthchecks: { active: { timeout: 'value should be between 0 and 65535' } },
      config: { '@entity': ["at least one of these fields must be non-empty: 'minute'"], minute: 'bad' },
    }).message,
    '4 schema violations (' +
      'config.@entity: {\n  "at least one of these fields must be non-empty: \'minute\'"\n}; ' +
      'config.minute: bad; ' +
      'healthchecks.active: {\n  timeout = "value should be between 0 and 65535"\n}; ' +
      'paths.2: should start with: /)',
  );
});

test('an unresolved foreign key is Kong code 13 with its sentence in the message and the fields', () => {
  const one = new ForeignKeysUnresolvedError({ service: { name: { value: 'nope', parent: 'services' } } });
  const sentence = `the foreign key cannot be resolved with '{name="nope"}' for an existing 'services' entity`;
  assert.deepEqual(one.toJSON(), {
    message: `foreign key unresolved (service.name: ${sentence})`,
    name: 'foreign keys unresolved',
    code: 13,
    fields: { service: { name: sentence } },
  });
  assert.equal(one.status, 400);
  const two = new ForeignKeysUnresolvedError({
    service: { name: { value: 's', parent: 'services' } },
    consumer: {
      username: { value: 'u', parent: 'consumers' },
      custom_id: { value: 'u', parent: 'consumers' },
    },
  });
  assert.match(
    two.message,
    /^3 foreign keys unresolved \(consumer\.custom_id: .*; consumer\.username: .*; service\.name: /,
  );
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
