import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { NO_METRICS, syncMetrics } from './metrics.ts';

describe('syncMetrics', () => {
  it('reports version, connected data planes, pushes, Nacks and push duration in the given registry', async () => {
    const registry = new Registry();
    const metrics = syncMetrics(registry);
    metrics.configVersion(42);
    metrics.connected(3);
    metrics.pushed('delta');
    metrics.pushed('delta');
    metrics.pushed('snapshot');
    metrics.nacked();
    metrics.pushDuration(0.02);
    const text = await registry.metrics();
    assert.match(text, /^turnpike_cluster_config_version 42$/m);
    assert.match(text, /^turnpike_cluster_data_planes_connected 3$/m);
    assert.match(text, /^turnpike_cluster_config_pushes_total\{kind="delta"\} 2$/m);
    assert.match(text, /^turnpike_cluster_config_nacks_total 1$/m);
    assert.match(text, /^turnpike_cluster_config_push_duration_seconds_count 1$/m);
  });

  it('counts refusals by reason, and Ack timeouts', async () => {
    const registry = new Registry();
    const metrics = syncMetrics(registry);
    metrics.refused('certificate');
    metrics.refused('certificate');
    metrics.refused('common_name');
    metrics.ackTimedOut();
    const text = await registry.metrics();
    assert.match(text, /^turnpike_cluster_data_plane_refusals_total\{reason="certificate"\} 2$/m);
    assert.match(text, /^turnpike_cluster_data_plane_refusals_total\{reason="common_name"\} 1$/m);
    assert.match(text, /^turnpike_cluster_config_ack_timeouts_total 1$/m);
  });

  it("shows each data plane's compatibility, as Kong's data_plane_version_compatible, until it is gone", async () => {
    const registry = new Registry();
    const metrics = syncMetrics(registry);
    metrics.compatible('dp-1', true);
    metrics.compatible('dp-2', false);
    let text = await registry.metrics();
    assert.match(text, /^turnpike_cluster_data_plane_compatible\{node_id="dp-1"\} 1$/m);
    assert.match(text, /^turnpike_cluster_data_plane_compatible\{node_id="dp-2"\} 0$/m);
    metrics.forget('dp-2');
    text = await registry.metrics();
    assert.doesNotMatch(text, /node_id="dp-2"/);
  });

  it('is a set of no-ops without a registry', () => {
    assert.equal(syncMetrics(undefined), NO_METRICS);
  });
});
