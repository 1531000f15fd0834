import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import {
  configFromEntities,
  encodeSnapshotPayload,
  hashConfig,
  PayloadEncoding,
} from '@turnpike/shared/sync';
import { CacheFileError, readCacheFile, writeCacheFile } from './cache-file.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-cache-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = configFromEntities({
  services: [{ id: 's1', host: 'a' }],
  routes: Array.from({ length: 500 }, (_, i) => ({ id: `r${i}`, paths: [`/p${i}`] })),
});

describe('config cache file', () => {
  it('reads back what was written, hash verified', async () => {
    const path = join(dir, 'round-trip.cache');
    await writeCacheFile(path, { version: 7, hash: hashConfig(config), config });
    const read = await readCacheFile(path);
    assert.equal(read?.version, 7);
    assert.equal(read?.hash, hashConfig(config));
    assert.equal(read?.config.get('routes')?.size, 500);
  });

  it('replaces the file whole and leaves no temporary file behind', async () => {
    const path = join(dir, 'replace.cache');
    await writeCacheFile(path, { version: 1, hash: hashConfig(config), config });
    const small = configFromEntities({ services: [{ id: 's9' }] });
    await writeCacheFile(path, { version: 2, hash: hashConfig(small), config: small });
    assert.equal((await readCacheFile(path))?.version, 2);
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('replace')),
      ['replace.cache'],
    );
  });

  it('is undefined when there is no file', async () => {
    assert.equal(await readCacheFile(join(dir, 'absent.cache')), undefined);
  });

  it('refuses a file whose content does not match its hash, naming the path', async () => {
    const path = join(dir, 'tampered.cache');
    const small = configFromEntities({ services: [{ id: 's1', host: 'a' }] });
    await writeCacheFile(path, { version: 1, hash: hashConfig(small), config: small });
    const text = (await readFile(path, 'utf8')).replace('"host":"a"', '"host":"b"');
    await writeFile(path, text);
    await assert.rejects(readCacheFile(path), (error: Error) => {
      assert.ok(error instanceof CacheFileError);
      assert.match(error.message, new RegExp(`${path} is unusable: content hashes to`));
      return true;
    });
  });

  it('refuses a truncated file and one that is not a cache file', async () => {
    const path = join(dir, 'truncated.cache');
    await writeCacheFile(path, { version: 1, hash: hashConfig(config), config });
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    await assert.rejects(readCacheFile(path), CacheFileError);
    await writeFile(path, 'hello\nworld');
    await assert.rejects(readCacheFile(path), /header line is not JSON/);
  });

  it('holds the same JSON as the wire payload, whatever the number of entities', async () => {
    for (const routes of [0, 1, 499, 500, 501, 1000, 1203]) {
      const content = configFromEntities({
        services: [{ id: 's1', host: 'a' }],
        routes: Array.from({ length: routes }, (_, i) => ({ id: `r${i}`, paths: [`/p${i}`] })),
        ...(routes === 0 ? { plugins: [] } : {}),
      });
      const wire = await encodeSnapshotPayload(content, { maxPayload: Number.MAX_SAFE_INTEGER });
      const path = join(dir, `same-json-${routes}.cache`);
      await writeCacheFile(path, { version: 1, hash: hashConfig(content), config: content });
      const bytes = await readFile(path);
      const newline = bytes.indexOf(0x0a);
      const header = JSON.parse(bytes.subarray(0, newline).toString());
      const cached = bytes.subarray(newline + 1);
      const text = (encoding: number, payload: Buffer) =>
        (encoding === PayloadEncoding.zstd ? zstdDecompressSync(payload) : payload).toString();
      assert.equal(header.encoding, wire.encoding, `${routes} routes`);
      assert.equal(text(header.encoding, cached), text(wire.encoding, wire.payload), `${routes} routes`);
    }
  });
});
