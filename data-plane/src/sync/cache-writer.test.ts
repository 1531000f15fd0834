import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '@turnpike/shared';
import { configFromEntities, hashConfig, type VersionedConfig } from '@turnpike/shared/sync';
import { readCacheFile } from './cache-file.ts';
import { CACHE_WRITE_COST_FACTOR, CacheWriter } from './cache-writer.ts';

const log = createLogger({ level: 'silent' });

function version(v: number): VersionedConfig {
  const config = configFromEntities({ services: [{ id: 's1', host: `h${v}` }] });
  return { version: v, hash: hashConfig(config), config };
}

/** A write that records what it was given and waits for `release` before finishing. */
function gatedWrite() {
  const started: number[] = [];
  const finished: number[] = [];
  let release = () => {};
  let onStart = () => {};
  const write = async (_path: string, config: VersionedConfig) => {
    started.push(config.version);
    onStart();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    finished.push(config.version);
  };
  const nextStart = () =>
    new Promise<void>((resolve) => {
      onStart = resolve;
    });
  return { write, started, finished, release: () => release(), nextStart };
}

function writtenSignal() {
  const waiters = new Map<number, () => void>();
  return {
    onWritten: (v: number) => waiters.get(v)?.(),
    until: (v: number) =>
      new Promise<void>((resolve) => {
        waiters.set(v, resolve);
      }),
  };
}

describe('CacheWriter', () => {
  it('writes only the newest of the versions scheduled while a write was running', async () => {
    const gate = gatedWrite();
    const written = writtenSignal();
    const writer = new CacheWriter({ path: 'x', log, intervalMs: 0, write: gate.write, ...written });
    const firstStarted = gate.nextStart();
    writer.schedule(version(1));
    await firstStarted;
    writer.schedule(version(2));
    writer.schedule(version(3));
    const thirdStarted = gate.nextStart();
    const thirdWritten = written.until(3);
    gate.release();
    await thirdStarted;
    gate.release();
    await thirdWritten;
    assert.deepEqual(gate.started, [1, 3]);
    assert.equal(writer.writtenVersion, 3);
  });

  it('holds a second write for the interval, and flush writes it at once', async () => {
    const versions: number[] = [];
    const written = writtenSignal();
    const writer = new CacheWriter({
      path: 'x',
      log,
      intervalMs: 3_600_000,
      write: async (_path, config) => {
        versions.push(config.version);
      },
      ...written,
    });
    const first = written.until(1);
    writer.schedule(version(1));
    await first;
    writer.schedule(version(2));
    assert.deepEqual(versions, [1], 'the second write waits for the interval');
    await writer.flush();
    assert.deepEqual(versions, [1, 2]);
  });

  it('stretches the interval to CACHE_WRITE_COST_FACTOR times the last write, so a slow write is not repeated every interval', async () => {
    const starts: number[] = [];
    const written = writtenSignal();
    const writer = new CacheWriter({
      path: 'x',
      log,
      intervalMs: 0,
      write: async () => {
        starts.push(performance.now());
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
      ...written,
    });
    const first = written.until(1);
    writer.schedule(version(1));
    await first;
    const second = written.until(2);
    writer.schedule(version(2));
    await second;
    const gap = starts[1]! - starts[0]!;
    // The first write took ≥ 20 ms: the second starts no sooner than 20 × that after it.
    assert.ok(gap >= CACHE_WRITE_COST_FACTOR * 20 - 5, `the second write started ${gap} ms after the first`);
  });

  it('logs a failed write and writes the next version scheduled', async () => {
    const lines: { msg: string }[] = [];
    const failing = createLogger({
      level: 'error',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    let fail = true;
    const written = writtenSignal();
    const writer = new CacheWriter({
      path: 'x',
      log: failing,
      intervalMs: 0,
      write: async () => {
        if (fail) throw new Error('disk full');
      },
      ...written,
    });
    writer.schedule(version(1));
    await writer.flush();
    assert.equal(writer.writtenVersion, -1);
    assert.match(lines[0]?.msg ?? '', /could not write the config cache file/);
    fail = false;
    const second = written.until(2);
    writer.schedule(version(2));
    await second;
    assert.equal(writer.writtenVersion, 2);
  });

  it('leaves a readable cache file of the newest version after flush', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-cache-writer-'));
    try {
      const path = join(dir, 'config.cache');
      const writer = new CacheWriter({ path, log, intervalMs: 3_600_000 });
      writer.schedule(version(1));
      writer.schedule(version(2));
      await writer.flush();
      const read = await readCacheFile(path);
      assert.equal(read?.version, 2);
      assert.equal(read?.hash, version(2).hash);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
