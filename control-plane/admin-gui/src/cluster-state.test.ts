import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent, type DataPlane, EMPTY, lag } from './cluster-state.ts';

const dp = (over: Partial<DataPlane>): DataPlane => ({
  id: 'dp-1',
  hostname: 'edge-1',
  ip: '127.0.0.1',
  version: '0.1.0',
  sync_status: 'normal',
  config_version: 3,
  config_hash: 'h',
  last_seen: 0,
  last_error: '',
  connected: true,
  ...over,
});

describe('the cluster view’s state', () => {
  it('starts from the snapshot and follows connects, versions, Acks, Nacks and disconnects', () => {
    let s = applyEvent(EMPTY, 'snapshot', { latest: { version: 3, hash: 'h' }, data_planes: [dp({})] }, 0);
    assert.equal(s.dataPlanes.length, 1);
    s = applyEvent(
      s,
      'data-plane',
      { kind: 'connect', data_plane: dp({ id: 'dp-2', hostname: 'edge-2' }) },
      1,
    );
    s = applyEvent(s, 'version', { version: 4, hash: 'h4', at: 2 }, 2);
    assert.equal(lag(s, s.dataPlanes[0]!), 1);
    s = applyEvent(
      s,
      'data-plane',
      { kind: 'ack', data_plane: dp({ config_version: 4 }), reached: [{ version: 4, ms: 12 }] },
      3,
    );
    assert.equal(lag(s, s.dataPlanes[0]!), 0);
    s = applyEvent(
      s,
      'data-plane',
      {
        kind: 'nack',
        data_plane: dp({
          id: 'dp-2',
          hostname: 'edge-2',
          last_error: 'bad',
          last_error_code: 'TP_CONFIG_REJECTED',
        }),
      },
      4,
    );
    s = applyEvent(
      s,
      'data-plane',
      { kind: 'disconnect', data_plane: dp({ id: 'dp-2', hostname: 'edge-2', connected: false }) },
      5,
    );
    s = applyEvent(s, 'data-plane', { kind: 'seen', data_plane: dp({ last_seen: 9 }) }, 6);
    assert.deepEqual(
      s.log.map((l) => l.text),
      [
        'edge-2 disconnected',
        'edge-2 rejected a configuration: TP_CONFIG_REJECTED: bad',
        'edge-1 applied version 4 (12 ms after it was published)',
        'config version 4 published',
        'edge-2 connected',
      ],
    );
    assert.deepEqual(
      s.dataPlanes.map((d) => [d.hostname, d.connected, d.last_seen]),
      [
        ['edge-1', true, 9],
        ['edge-2', false, 0],
      ],
    );
    assert.equal(applyEvent(s, 'something-new', {}, 7), s);
  });
});
