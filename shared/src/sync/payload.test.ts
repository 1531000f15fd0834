import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { hashConfig } from './config-hash.ts';
import { type ConfigContent, configFromEntities, entityCount } from './content.ts';
import { encodeSnapshotPayload } from './encode.ts';
import { decodeSnapshotPayload, PayloadEncoding } from './payload.ts';
import { SyncPayloadError } from './payload-error.ts';
import { changeFromWire, changeToWire } from './wire.ts';

function bigConfig(routes: number): ConfigContent {
  const services = Array.from({ length: 100 }, (_, i) => ({
    id: randomUUID(),
    name: `service-${i}`,
    protocol: 'http',
    host: `backend-${i}.internal`,
    port: 8080,
    path: null,
    retries: 5,
    connect_timeout: 60000,
    read_timeout: 60000,
    write_timeout: 60000,
    tags: null,
  }));
  const list = Array.from({ length: routes }, (_, i) => ({
    id: randomUUID(),
    name: `route-${i}`,
    service: { id: services[i % services.length]?.id },
    protocols: ['http', 'https'],
    paths: [`/api/v1/resource-${i}`],
    hosts: null,
    methods: ['GET', 'POST'],
    strip_path: true,
    preserve_host: false,
    regex_priority: 0,
    https_redirect_status_code: 426,
    path_handling: 'v0',
    created_at: 1_700_000_000 + i,
    updated_at: 1_700_000_000 + i,
  }));
  return configFromEntities({ services, routes: list });
}

describe('snapshot payload', () => {
  it('round-trips a small config as plain JSON', async () => {
    const config = configFromEntities({ services: [{ id: 's1', host: 'a' }] });
    const encoded = await encodeSnapshotPayload(config);
    assert.equal(encoded.encoding, PayloadEncoding.none);
    assert.deepEqual(JSON.parse(encoded.payload.toString()), {
      entities: { services: [{ id: 's1', host: 'a' }] },
    });
    assert.equal(hashConfig(decodeSnapshotPayload(encoded)), hashConfig(config));
  });

  it('round-trips 50,000 routes with zstd and keeps the hash', async () => {
    // Its timing is a figure of test/bench/sync.bench.ts (snapshot encode), not asserted here.
    const config = bigConfig(50_000);
    const encoded = await encodeSnapshotPayload(config);
    assert.equal(encoded.encoding, PayloadEncoding.zstd);
    assert.ok(encoded.payload.length < encoded.uncompressedSize / 5, 'zstd compresses entity JSON well');
    const decoded = decodeSnapshotPayload(encoded);
    assert.equal(entityCount(decoded), 50_100);
    assert.equal(hashConfig(decoded), hashConfig(config));
  });

  it('writes the bytes JSON.stringify gives, whatever the number of slices', async () => {
    for (const routes of [0, 1, 31, 32, 33, 499, 500, 1203]) {
      const config = bigConfig(routes);
      const entities: Record<string, unknown[]> = {};
      for (const [type, byId] of config) entities[type] = [...byId.values()];
      const expected = JSON.stringify({ entities });
      // sliceMs 0: a yield after every 32 entities, the most slices there can be.
      for (const sliceMs of [0, 1000]) {
        const encoded = await encodeSnapshotPayload(config, { sliceMs, threshold: Number.MAX_SAFE_INTEGER });
        assert.equal(encoded.encoding, PayloadEncoding.none);
        assert.equal(encoded.payload.toString(), expected, `${routes} routes, sliceMs ${sliceMs}`);
        assert.equal(encoded.uncompressedSize, Buffer.byteLength(expected));
      }
    }
    const empty = await encodeSnapshotPayload(configFromEntities({}));
    assert.equal(empty.payload.toString(), '{"entities":{}}');
  });

  it('counts the uncompressed size of a streamed, compressed payload exactly', async () => {
    const config = bigConfig(3000);
    const encoded = await encodeSnapshotPayload(config, { sliceMs: 0 });
    assert.equal(encoded.encoding, PayloadEncoding.zstd);
    assert.equal(zstdDecompressSync(encoded.payload).length, encoded.uncompressedSize);
  });

  it('uses gzip when asked, as the fallback encoding', async () => {
    const config = bigConfig(200);
    const encoded = await encodeSnapshotPayload(config, { compression: 'gzip' });
    assert.equal(encoded.encoding, PayloadEncoding.gzip);
    assert.equal(hashConfig(decodeSnapshotPayload(encoded)), hashConfig(config));
  });

  it('refuses to encode a payload over cluster_max_payload', async () => {
    await assert.rejects(
      encodeSnapshotPayload(bigConfig(2000), { maxPayload: 1000 }),
      (error: Error) =>
        error instanceof SyncPayloadError && /cluster_max_payload \(1000\)/.test(error.message),
    );
  });

  it('refuses to decode a payload over cluster_max_payload', async () => {
    const encoded = await encodeSnapshotPayload(bigConfig(2000));
    assert.throws(() => decodeSnapshotPayload(encoded, { maxPayload: 100 }), SyncPayloadError);
  });

  it('stops decompressing at the announced size, so a zip bomb cannot exhaust memory', () => {
    const bomb = zstdCompressSync(Buffer.alloc(50_000_000, 0x20));
    assert.throws(
      () => decodeSnapshotPayload({ encoding: PayloadEncoding.zstd, payload: bomb, uncompressedSize: 1000 }),
      /beyond the announced 1000 bytes/,
    );
  });

  it('refuses a payload announcing more than the decompressed ceiling', () => {
    const payload = gzipSync(Buffer.from('{"entities":{}}'));
    assert.throws(
      () =>
        decodeSnapshotPayload(
          { encoding: PayloadEncoding.gzip, payload, uncompressedSize: 10_000 },
          { maxUncompressed: 5000 },
        ),
      /over the limit \(5000\)/,
    );
  });

  it('refuses a payload shorter than announced, corrupt bytes, an unknown encoding, or another shape', async () => {
    const good = await encodeSnapshotPayload(bigConfig(100));
    assert.throws(
      () => decodeSnapshotPayload({ ...good, uncompressedSize: good.uncompressedSize + 5 }),
      /expected/,
    );
    assert.throws(() => decodeSnapshotPayload({ ...good, payload: Buffer.from('garbage') }), /decompressed/);
    assert.throws(
      () => decodeSnapshotPayload({ ...good, encoding: 9 as PayloadEncoding }),
      /unsupported payload encoding 9/,
    );
    const notShape = Buffer.from('{"services":[]}');
    assert.throws(
      () => decodeSnapshotPayload({ encoding: 0, payload: notShape, uncompressedSize: notShape.length }),
      /no "entities" object/,
    );
    const noId = Buffer.from('{"entities":{"routes":[{"paths":["/"]}]}}');
    assert.throws(
      () => decodeSnapshotPayload({ encoding: 0, payload: noId, uncompressedSize: noId.length }),
      /has no string id/,
    );
  });
});

describe('wire changes', () => {
  it('round-trip an upsert and a delete', () => {
    const upsert = { entity: 'routes', id: 'r1', op: 'upsert' as const, value: { id: 'r1', paths: ['/'] } };
    assert.deepEqual(changeFromWire(changeToWire(upsert)), upsert);
    const remove = { entity: 'routes', id: 'r1', op: 'delete' as const };
    assert.deepEqual(changeFromWire(changeToWire(remove)), remove);
  });

  it('refuse an unspecified op', () => {
    assert.throws(
      () => changeFromWire({ entity: 'routes', id: 'r1', op: 0, value: Buffer.alloc(0) }),
      /unknown op 0/,
    );
  });
});
