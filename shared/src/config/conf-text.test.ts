import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfText } from './conf-text.ts';

describe('parseConfText', () => {
  it('reads key = value lines with their line numbers, skipping blanks and comment lines', () => {
    const { lines, errors } = parseConfText('# a comment\n\npg_host = db.local\n   \nlog_level=debug\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(lines, [
      { key: 'pg_host', value: 'db.local', line: 3 },
      { key: 'log_level', value: 'debug', line: 5 },
    ]);
  });

  it('drops a trailing comment and trims whitespace around keys and values', () => {
    const { lines } = parseConfText('  pg_port   =   5433    # the replica\t\n');
    assert.deepEqual(lines, [{ key: 'pg_port', value: '5433', line: 1 }]);
  });

  it('keeps an escaped \\# as a literal # in the value', () => {
    const { lines } = parseConfText('pg_password = pa\\#ss\\#word # real comment\n');
    assert.equal(lines[0]?.value, 'pa#ss#word');
  });

  it('keeps an equals sign inside the value', () => {
    const { lines } = parseConfText('proxy_listen = 0.0.0.0:8000 backlog=16384\n');
    assert.equal(lines[0]?.value, '0.0.0.0:8000 backlog=16384');
  });

  it('gives an empty value for a key with nothing after the equals sign', () => {
    const { lines } = parseConfText('pg_schema =\n');
    assert.deepEqual(lines, [{ key: 'pg_schema', value: '', line: 1 }]);
  });

  it('accepts CRLF line endings', () => {
    const { lines } = parseConfText('a = 1\r\nb = 2\r\n');
    assert.deepEqual(
      lines.map((l) => [l.key, l.value, l.line]),
      [
        ['a', '1', 1],
        ['b', '2', 2],
      ],
    );
  });

  it('reports a line without an equals sign, and a malformed key, by line number', () => {
    const { errors } = parseConfText('pg_host\nok = 1\nbad key = 2\n');
    assert.deepEqual(
      errors.map((e) => e.line),
      [1, 3],
    );
    assert.match(errors[0]?.message ?? '', /expected 'key = value'/);
    assert.match(errors[1]?.message ?? '', /invalid key 'bad key'/);
  });
});
