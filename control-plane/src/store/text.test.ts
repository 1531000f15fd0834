import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findTextProblems, problemFields, storable, textProblem } from './text.ts';

test('NUL and lone surrogates are what PostgreSQL cannot hold; everything else is fine', () => {
  assert.equal(textProblem('plain été 🚀'), undefined);
  assert.equal(textProblem('a\u0000b'), 'invalid NUL character detected at position 2');
  assert.equal(textProblem('ab\ud800'), 'invalid utf-8 character sequence detected at position 3');
  assert.equal(textProblem('\udc00\u0000'), 'invalid utf-8 character sequence detected at position 1');
  assert.equal(textProblem('\u0000\udc00'), 'invalid NUL character detected at position 1');
  assert.ok(storable('a', 'b'));
  assert.ok(!storable('a', 'b\u0000'));
});

test('problems are found in nested values and keys, and become Kong-shaped fields', () => {
  const problems = findTextProblems({
    name: 'ok',
    tags: ['fine', 'b\u0000d'],
    config: { 'k\u0000': 1, deep: { v: '\ud800' } },
  });
  assert.deepEqual(
    problems.map((p) => p.path),
    [
      ['tags', 1],
      ['config', 'k\u0000'],
      ['config', 'deep', 'v'],
    ],
  );
  assert.deepEqual(problemFields(problems), {
    tags: [null, 'invalid NUL character detected at position 2'],
    config: {
      'k\u0000': 'invalid field name: invalid NUL character detected at position 2',
      deep: { v: 'invalid utf-8 character sequence detected at position 1' },
    },
  });
});

test('input nested beyond any entity is refused rather than walked unchecked', () => {
  let deep: unknown = 'x\u0000';
  for (let i = 0; i < 100; i++) deep = { a: deep };
  const [problem] = findTextProblems(deep);
  assert.equal(problem?.message, 'nested deeper than 32 levels');
  assert.equal(problem?.path.length, 32);
});
