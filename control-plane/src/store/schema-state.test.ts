import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MigrationSet } from './migrations/types.ts';
import { computeSchemaState, formatMigrations } from './schema-state.ts';

const sets: MigrationSet[] = [
  {
    subsystem: 'core',
    migrations: [
      { name: '000_base', up: '' },
      { name: '001_a', up: '' },
      { name: '002_b', up: '', teardown: '' },
      { name: '003_c', up: '' },
    ],
  },
  { subsystem: 'acl', migrations: [{ name: '000_base_acl', up: '' }] },
];

const names = (list: readonly { subsystem: string; migrations: readonly { name: string }[] }[]) =>
  list.map((s) => `${s.subsystem}: ${s.migrations.map((m) => m.name).join(',')}`);

test('without schema_meta the database needs bootstrapping and every migration is new', () => {
  const state = computeSchemaState(sets, undefined);
  assert.equal(state.status, 'needs_bootstrap');
  assert.equal(state.upToDate, false);
  assert.deepEqual(names(state.newMigrations), ['core: 000_base,001_a,002_b,003_c', 'acl: 000_base_acl']);
});

test('executed, pending, missing and new migrations are told apart as Kong does', () => {
  const state = computeSchemaState(sets, [
    { subsystem: 'core', last_executed: '002_b', executed: ['000_base'], pending: ['002_b'] },
  ]);
  assert.deepEqual(names(state.executedMigrations), ['core: 000_base']);
  assert.deepEqual(names(state.pendingMigrations), ['core: 002_b']);
  assert.deepEqual(names(state.missingMigrations), ['core: 001_a'], 'skipped before the last executed one');
  assert.deepEqual(names(state.newMigrations), ['core: 003_c', 'acl: 000_base_acl']);
  assert.equal(state.status, 'new_migrations');
});

test('only pending teardowns leave the database up to date with status pending_migrations', () => {
  const state = computeSchemaState(sets, [
    {
      subsystem: 'core',
      last_executed: '003_c',
      executed: ['000_base', '001_a', '003_c'],
      pending: ['002_b'],
    },
    { subsystem: 'acl', last_executed: '000_base_acl', executed: ['000_base_acl'], pending: null },
  ]);
  assert.equal(state.status, 'pending_migrations');
  assert.equal(state.upToDate, true);
  assert.match(state.message, /turnpike migrations finish/);
});

test('listings align subsystem names as Kong prints them', () => {
  assert.equal(
    formatMigrations([
      {
        subsystem: 'core',
        migrations: [
          { name: '000_base', up: '' },
          { name: '001_a', up: '' },
        ],
      },
      { subsystem: 'rate-limiting', migrations: [{ name: '000_base_rl', up: '' }] },
    ]),
    '         core: 000_base, 001_a\nrate-limiting: 000_base_rl',
  );
});
