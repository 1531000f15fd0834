/**
 * The progress `turnpike config db_import` prints (bin/cli/import-progress.ts), as a terminal and
 * a pipe see it; declarative.test.ts checks the plain lines of a real import.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { importProgress } from '../../bin/cli/import-progress.ts';

function recorder(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe('db_import progress', () => {
  test('a pipe gets a plain line at most once a second, and always the last one, with entities per second', () => {
    const out = recorder(false);
    let now = 0;
    const show = importProgress(out, () => now);
    show({ done: 0, total: 12_000, entity: 'services' });
    now = 500;
    show({ done: 3_000, total: 12_000, entity: 'routes' });
    now = 1_500;
    show({ done: 6_000, total: 12_000, entity: 'routes' });
    now = 2_000;
    show({ done: 12_000, total: 12_000, entity: 'routes' });
    assert.deepEqual(out.written, [
      'imported 0/12,000 entities (0%), 0 entities/s\n',
      'imported 6,000/12,000 entities (50%), 4,000 entities/s\n',
      'imported 12,000/12,000 entities (100%), 6,000 entities/s\n',
    ]);
  });

  test('a terminal gets one bar redrawn in place, ended by a newline at 100%', () => {
    const out = recorder(true);
    let now = 0;
    const show = importProgress(out, () => now);
    show({ done: 0, total: 1_000, entity: 'services' });
    now = 200;
    show({ done: 500, total: 1_000, entity: 'routes' });
    now = 250;
    show({ done: 1_000, total: 1_000, entity: 'routes' });
    assert.equal(out.written.length, 3);
    const erase = '\u001b[K';
    assert.equal(
      out.written[1],
      `\r[${'#'.repeat(15)}${'-'.repeat(15)}] 500/1,000 entities (50%), 2,500 entities/s${erase}`,
    );
    assert.equal(
      out.written[2],
      `\r[${'#'.repeat(30)}] 1,000/1,000 entities (100%), 4,000 entities/s${erase}\n`,
    );
  });
});
