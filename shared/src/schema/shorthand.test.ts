import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandShorthands, shorthandErrors } from './shorthand.ts';
import type { RecordField } from './types.ts';

const record: RecordField = {
  type: 'record',
  fields: {
    nested: { type: 'record', fields: { host: { type: 'string' }, port: { type: 'integer' } } },
    plain: { type: 'string' },
  },
  shorthand_fields: {
    old_host: {
      type: 'string',
      func: (v: string) => ({ nested: { host: v } }),
      deprecation: {
        message: 'old',
        removal_in_version: '4.0',
        replaced_with: [{ path: ['nested', 'host'] }],
      },
    },
    new_plain: { type: 'string', func: (v: string) => ({ plain: v.toUpperCase() }) },
  },
};

describe("a record's shorthand fields (Kong's process_auto_fields)", () => {
  it('expands a deprecated one under its real field, keeping the real fields beside it', () => {
    assert.deepEqual(expandShorthands(record, { old_host: 'a', nested: { port: 1 } }), {
      nested: { host: 'a', port: 1 },
    });
  });

  it('lets the real field win over a deprecated shorthand (null aside), and a plain shorthand win over it', () => {
    assert.deepEqual(expandShorthands(record, { old_host: 'a', nested: { host: null } }), {
      nested: { host: 'a' },
    });
    assert.deepEqual(expandShorthands(record, { new_plain: 'x', plain: 'y' }), { plain: 'X' });
  });

  it('drops a null shorthand, and returns the same object when there is nothing to expand', () => {
    assert.deepEqual(expandShorthands(record, { old_host: null }), {});
    const data = { plain: 'p' };
    assert.equal(expandShorthands(record, data), data);
  });

  it("keeps an invalid one for validation to name, in Kong's words", () => {
    const bad = expandShorthands(record, { old_host: 5 });
    assert.deepEqual(shorthandErrors(record, bad), { old_host: 'expected a string' });
    const mismatch = expandShorthands(record, { old_host: 'a', nested: { host: 'b' } });
    assert.deepEqual(shorthandErrors(record, mismatch), {
      old_host:
        'both deprecated and new field are used but their values mismatch: old_host = a vs nested.host = b',
    });
    assert.equal(
      shorthandErrors(record, expandShorthands(record, { old_host: 'a', nested: { host: 'a' } })),
      undefined,
    );
  });
});
