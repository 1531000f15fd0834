import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FLUSH_MS, LogWriter } from './writer.ts';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-log-writer-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('lines reach the file whole and in order, multi-byte characters included', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'logs', 'access.log');
    const writer = new LogWriter({ kind: 'file', path });
    const lines = Array.from({ length: 500 }, (_, i) => `${i} GET /café/☃/${'x'.repeat(i % 40)} 200\n`);
    for (const line of lines) writer.write(line);
    await writer.close();
    assert.equal(await readFile(path, 'utf8'), lines.join(''));
    assert.equal(writer.dropped, 0);
  });
});

test('past the byte bound, lines are dropped and counted, never held', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'access.log');
    const writer = new LogWriter({ kind: 'file', path }, { maxBufferBytes: 200 });
    const line = `${'é'.repeat(30)}\n`; // 61 bytes, 31 characters: the bound counts bytes
    for (let i = 0; i < 20; i++) writer.write(line);
    await writer.close();
    const written = (await readFile(path, 'utf8')).split('\n').length - 1;
    assert.ok(writer.dropped > 0, 'some were dropped');
    assert.equal(written + writer.dropped, 20);
    assert.ok(written * 61 <= 200 + 61 * 2, `at most the bound was held (${written} written)`);
  });
});

test('reopen after the file was moved away writes the next lines to a new file', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'access.log');
    const writer = new LogWriter({ kind: 'file', path });
    writer.write('before\n');
    await writer.flush();
    await rename(path, `${path}.1`);
    writer.reopen();
    writer.write('after\n');
    await writer.close();
    assert.equal(await readFile(`${path}.1`, 'utf8'), 'before\n');
    assert.equal(await readFile(path, 'utf8'), 'after\n');
  });
});

test('a line below the batch size reaches the file within FLUSH_MS, with no flush asked', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'access.log');
    const writer = new LogWriter({ kind: 'file', path });
    writer.write('one line\n');
    await new Promise((resolve) => setTimeout(resolve, FLUSH_MS * 4));
    assert.equal(await readFile(path, 'utf8'), 'one line\n');
    await writer.close();
  });
});

test('flush resolves once every line taken so far is in the file, lines taken during a write too', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'access.log');
    const writer = new LogWriter({ kind: 'file', path });
    const lines: string[] = [];
    // Turns of 300 lines (past the batch size: a write starts), then a few (below it).
    for (let turn = 0; turn < 10; turn++) {
      const n = turn % 2 === 0 ? 300 : 3;
      for (let i = 0; i < n; i++) {
        const line = `${turn}.${i} ${'y'.repeat(60)}\n`;
        lines.push(line);
        writer.write(line);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.flush();
    assert.equal(await readFile(path, 'utf8'), lines.join(''));
    await writer.close();
  });
});
