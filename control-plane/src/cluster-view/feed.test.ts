import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@turnpike/shared';
import { MemoryConfigSource } from '../snapshot/index.ts';
import type { RecentConfigChange } from '../store/index.ts';
import { MemoryDataPlaneRegistry } from '../sync/index.ts';
import { eventKindOf } from './events.ts';
import { type ClusterEvent, startClusterFeed } from './feed.ts';
import { ReachTimeline } from './reach.ts';

const silent = createLogger({ level: 'silent' });

describe('eventKindOf', () => {
  it('tells the sync session’s writes apart by the fields they set', () => {
    assert.equal(eventKindOf({ connected: true, sync_status: 'unknown', hostname: 'a' }), 'connect');
    assert.equal(eventKindOf({ connected: false, sync_status: 'offline' }), 'disconnect');
    assert.equal(eventKindOf({ last_seen: 1, sync_status: 'config_rejected', last_error: 'x' }), 'nack');
    assert.equal(eventKindOf({ sync_status: 'plugin_set_incompatible', last_error: 'x' }), 'refuse');
    assert.equal(
      eventKindOf({
        last_seen: 1,
        config_version: 3,
        config_hash: 'h',
        sync_status: 'normal',
        last_error: '',
      }),
      'ack',
    );
    assert.equal(eventKindOf({ sync_status: 'normal' }), 'status');
    assert.equal(eventKindOf({ last_seen: 9 }), 'seen');
  });
});

describe('ReachTimeline', () => {
  it('times every version an Ack brings, once, from when the version was seen', () => {
    const reach = new ReachTimeline();
    reach.connected('dp1', 0);
    reach.versionSeen(1, 100);
    reach.versionSeen(2, 150);
    reach.versionSeen(2, 999);
    assert.deepEqual(reach.acked('dp1', 2, 180), [
      { version: 1, ms: 80 },
      { version: 2, ms: 30 },
    ]);
    assert.deepEqual(reach.acked('dp1', 2, 500), [], 'already reached');
    assert.deepEqual(reach.entries(), [
      { version: 2, at: 150, reached: { dp1: 30 } },
      { version: 1, at: 100, reached: { dp1: 80 } },
    ]);
  });

  it('does not time versions made before the data plane connected, and keeps only the last versions', () => {
    const reach = new ReachTimeline(2);
    reach.versionSeen(1, 100);
    reach.connected('dp1', 120);
    reach.versionSeen(2, 130);
    reach.versionSeen(3, 140);
    assert.deepEqual(reach.acked('dp1', 3, 150), [
      { version: 2, ms: 20 },
      { version: 3, ms: 10 },
    ]);
    assert.deepEqual(
      reach.entries().map((e) => e.version),
      [3, 2],
    );
  });
});

describe('startClusterFeed', () => {
  const setup = (changes: RecentConfigChange[] = []) => {
    let clock = 1_000;
    const registry = new MemoryDataPlaneRegistry(() => clock);
    const source = new MemoryConfigSource();
    const feed = startClusterFeed({
      registry,
      source,
      log: silent,
      now: () => clock,
      recentChanges: async () => changes,
    });
    const events: ClusterEvent[] = [];
    let ended = 0;
    feed.subscribe(
      (e) => events.push(e),
      () => ended++,
    );
    return {
      registry,
      source,
      feed,
      events,
      tick: (ms: number) => {
        clock += ms;
      },
      ended: () => ended,
    };
  };

  it('streams connect, version, Ack (with how long it took), Nack and disconnect as they happen', async () => {
    const { registry, source, feed, events, tick, ended } = setup();
    registry.upsert('dp1', { connected: true, hostname: 'edge-1', sync_status: 'unknown' });
    tick(10);
    const v1 = source.apply([{ entity: 'services', id: 's1', op: 'upsert', value: { id: 's1' } }]);
    tick(25);
    registry.upsert('dp1', { config_version: v1.version, config_hash: v1.hash, sync_status: 'normal' });
    registry.upsert('dp1', {
      sync_status: 'config_rejected',
      last_error: 'bad route',
      last_error_code: 'TP_CONFIG_REJECTED',
    });
    registry.upsert('dp1', { connected: false, sync_status: 'offline' });

    assert.deepEqual(
      events.map((e) => (e.type === 'version' ? `version ${e.version}` : e.kind)),
      ['connect', `version ${v1.version}`, 'ack', 'nack', 'disconnect'],
    );
    const ack = events[2];
    assert.ok(ack?.type === 'data-plane');
    assert.deepEqual(ack.reached, [{ version: v1.version, ms: 25 }]);
    assert.equal(ack.data_plane.hostname, 'edge-1');
    const nack = events[3];
    assert.ok(nack?.type === 'data-plane');
    assert.equal(nack.data_plane.last_error, 'bad route');
    assert.equal(nack.data_plane.last_error_code, 'TP_CONFIG_REJECTED', 'the NACK code reaches the GUI');

    assert.deepEqual(feed.snapshot().latest, v1);
    assert.equal(feed.snapshot().data_planes[0]?.connected, false);
    await feed.stop('now', Date.now());
    assert.equal(ended(), 1, 'subscribers are told the feed ended');
  });

  it('joins the change log and the reach times into the timeline, newest first', async () => {
    const { registry, source, feed, tick } = setup([
      { version: 1, entity: 'services', id: 's1', op: 'upsert', at: 900, total: 2 },
      { version: 1, entity: 'routes', id: 'r1', op: 'upsert', at: 900, total: 2 },
    ]);
    registry.upsert('dp1', { connected: true });
    tick(5);
    const v1 = source.apply([{ entity: 'services', id: 's1', op: 'upsert', value: { id: 's1' } }]);
    tick(40);
    registry.upsert('dp1', { config_version: v1.version, config_hash: v1.hash, sync_status: 'normal' });
    const v2 = source.apply([{ entity: 'services', id: 's1', op: 'delete' }]);
    const timeline = await feed.timeline(10);
    assert.deepEqual(timeline, [
      { version: v2.version, at: 1_045, changes: [], total_changes: 0, reached: {} },
      {
        version: 1,
        at: 900,
        changes: [
          { entity: 'services', id: 's1', op: 'upsert' },
          { entity: 'routes', id: 'r1', op: 'upsert' },
        ],
        total_changes: 2,
        reached: { dp1: 40 },
      },
    ]);
  });
});
