import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDataPlaneRegistry, parseLabels } from './registry.ts';
import { peerIp } from './server.ts';

describe('MemoryDataPlaneRegistry', () => {
  it('forgets a data plane not seen for cluster_data_plane_purge_delay, and keeps one seen since', () => {
    let now = 1_700_000_000_000;
    const registry = new MemoryDataPlaneRegistry(() => now, 60);
    registry.upsert('gone', { hostname: 'a', last_seen: 1_700_000_000 });
    registry.upsert('alive', { hostname: 'b', last_seen: 1_700_000_000 });
    now += 59_000;
    registry.upsert('alive', { last_seen: Math.floor(now / 1000) });
    assert.deepEqual(
      registry
        .list()
        .map((d) => d.id)
        .sort(),
      ['alive', 'gone'],
    );
    now += 2_000;
    assert.deepEqual(
      registry.list().map((d) => d.id),
      ['alive'],
    );
    assert.equal(registry.get('gone'), undefined);
    const forever = new MemoryDataPlaneRegistry(() => now);
    forever.upsert('old', { last_seen: 0 });
    assert.equal(forever.list().length, 1, 'without a delay nothing is purged');
  });

  it('creates a data plane as unknown and merges later fields', () => {
    let now = 1_700_000_000_500;
    const registry = new MemoryDataPlaneRegistry(() => now);
    registry.upsert('dp1', { hostname: 'a', ip: '10.0.0.1', connected: true });
    now += 5000;
    const record = registry.upsert('dp1', {
      config_version: 3,
      sync_status: 'normal',
      last_seen: 1_700_000_005,
    });
    assert.equal(record.hostname, 'a');
    assert.equal(record.config_version, 3);
    assert.equal(record.sync_status, 'normal');
  });

  it('lists items in the shape of Kong GET /clustering/data-planes', () => {
    const registry = new MemoryDataPlaneRegistry(() => 1_700_000_000_000);
    registry.upsert('dp1', {
      hostname: 'a',
      ip: '10.0.0.1',
      version: '1.0.0',
      config_hash: 'ab',
      config_version: 2,
      last_seen: 1_700_000_000,
      sync_status: 'config_rejected',
      last_error: 'bad route',
      cert_details: { expiry_timestamp: 1_800_000_000 },
      labels: { region: 'eu' },
    });
    assert.deepEqual(registry.list(), [
      {
        id: 'dp1',
        hostname: 'a',
        ip: '10.0.0.1',
        version: '1.0.0',
        sync_status: 'config_rejected',
        config_hash: 'ab',
        config_version: 2,
        last_seen: 1_700_000_000,
        updated_at: 1_700_000_000,
        labels: { region: 'eu' },
        cert_details: { expiry_timestamp: 1_800_000_000 },
        last_error: 'bad route',
      },
    ]);
  });

  it('shows the last error’s catalogue code beside last_error, and neither when there is none', () => {
    const registry = new MemoryDataPlaneRegistry(() => 1_700_000_000_000);
    registry.upsert('dp1', { last_error: 'worker 0: bad route', last_error_code: 'TP_WORKER' });
    registry.upsert('dp2', { sync_status: 'normal' });
    const [dp1, dp2] = registry.list();
    assert.equal(dp1?.last_error, 'worker 0: bad route');
    assert.equal(dp1?.last_error_code, 'TP_WORKER');
    assert.equal('last_error' in (dp2 ?? {}), false);
    assert.equal('last_error_code' in (dp2 ?? {}), false);
  });

  it('tells listeners of every change, and stops when unsubscribed', () => {
    const registry = new MemoryDataPlaneRegistry();
    const seen: string[] = [];
    const off = registry.onChange((record) => seen.push(record.sync_status));
    registry.upsert('dp1', { sync_status: 'normal' });
    off();
    registry.upsert('dp1', { sync_status: 'offline' });
    assert.deepEqual(seen, ['normal']);
  });

  it('gives listeners the fields each change set, so a heartbeat tells apart from a second Nack', () => {
    const registry = new MemoryDataPlaneRegistry();
    const changes: object[] = [];
    registry.onChange((_record, change) => changes.push(change));
    registry.upsert('dp1', { sync_status: 'config_rejected', last_error: 'bad' });
    registry.upsert('dp1', { last_seen: 5 });
    registry.upsert('dp1', { sync_status: 'config_rejected', last_error: 'bad' });
    assert.deepEqual(changes, [
      { sync_status: 'config_rejected', last_error: 'bad' },
      { last_seen: 5 },
      { sync_status: 'config_rejected', last_error: 'bad' },
    ]);
  });

  it('hands out copies, so a caller cannot change the registry behind its back', () => {
    const registry = new MemoryDataPlaneRegistry();
    const record = registry.upsert('dp1', { hostname: 'a' });
    record.hostname = 'changed';
    assert.equal(registry.get('dp1')?.hostname, 'a');
  });
});

describe('parseLabels', () => {
  it('splits key:value at the first colon', () => {
    assert.deepEqual(parseLabels(['region:eu-west', 'url:http://x', 'bare']), {
      region: 'eu-west',
      url: 'http://x',
      bare: '',
    });
  });
});

describe('peerIp', () => {
  it('strips the port and the scheme from a grpc-js peer', () => {
    assert.equal(peerIp('127.0.0.1:5000'), '127.0.0.1');
    assert.equal(peerIp('ipv4:10.1.2.3:5000'), '10.1.2.3');
    assert.equal(peerIp('[::1]:5000'), '::1');
    assert.equal(peerIp('ipv6:[fe80::1]:443'), 'fe80::1');
  });
});
