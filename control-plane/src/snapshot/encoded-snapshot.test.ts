import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ConfigContent,
  configFromEntities,
  decodeSnapshotPayload,
  type EncodedPayload,
  encodeSnapshotPayload,
  hashConfig,
} from '@turnpike/shared/sync';
import { SnapshotEncodingCache } from './encoded-snapshot.ts';
import { MemoryConfigSource } from './memory-config-source.ts';

const upsert = (id: string) => ({ entity: 'routes', id, op: 'upsert' as const, value: { id } });

/** An encoder whose calls wait until released, one by one, and are counted. */
function gatedEncoder() {
  const calls: ConfigContent[] = [];
  const releases: (() => void)[] = [];
  const encode = async (config: ConfigContent): Promise<EncodedPayload> => {
    calls.push(config);
    await new Promise<void>((resolve) => releases.push(resolve));
    return encodeSnapshotPayload(config);
  };
  const release = async () => {
    while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve));
    releases.shift()?.();
  };
  return { encode, calls, release };
}

describe('SnapshotEncodingCache', () => {
  it('encodes a version once for every data plane that asks', async () => {
    const source = new MemoryConfigSource({ config: configFromEntities({ routes: [{ id: 'r1' }] }) });
    const gate = gatedEncoder();
    const cache = new SnapshotEncodingCache(source, { encode: gate.encode });
    const asked = [cache.latest(), cache.latest(), cache.latest()];
    await gate.release();
    const answers = await Promise.all(asked);
    assert.equal(gate.calls.length, 1);
    assert.ok(answers.every((a) => a === answers[0]));
    assert.equal(answers[0]?.version, 1);
    const decoded = decodeSnapshotPayload(answers[0]!.encoded);
    assert.equal(hashConfig(decoded), answers[0]?.hash);
    assert.equal(await cache.latest(), answers[0], 'kept until the next version');
  });

  it('runs one encoding at a time, and never answers with a version older than the latest when asked', async () => {
    const source = new MemoryConfigSource();
    source.apply([upsert('r1')]);
    const gate = gatedEncoder();
    const cache = new SnapshotEncodingCache(source, { encode: gate.encode });
    const first = cache.latest();
    source.apply([upsert('r2')]);
    const second = cache.latest();
    source.apply([upsert('r3')]);
    const third = cache.latest();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(gate.calls.length, 1, 'the newer versions wait for the running encoding');
    await gate.release();
    assert.equal((await first).version, 1);
    await gate.release();
    const [two, three] = await Promise.all([second, third]);
    assert.equal(gate.calls.length, 2, 'the two waiting requests share one encoding');
    assert.equal(two?.version, 3);
    assert.equal(three, two);
  });

  it('forgets a failed encoding, so the next request tries again', async () => {
    const source = new MemoryConfigSource({ config: configFromEntities({ routes: [{ id: 'r1' }] }) });
    let fail = true;
    const cache = new SnapshotEncodingCache(source, {
      encode: async (config, options) => {
        if (fail) throw new Error('disk on fire');
        return encodeSnapshotPayload(config, options);
      },
    });
    await assert.rejects(cache.latest(), /disk on fire/);
    fail = false;
    assert.equal((await cache.latest()).version, 1);
  });
});
