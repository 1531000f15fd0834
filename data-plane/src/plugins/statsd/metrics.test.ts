import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SerializedRecord } from '@turnpike/plugin-sdk';
import { statsdLine, statsdLines, statusAllowed } from './metrics.ts';
import type { StatsdConfig } from './schema.ts';
import { packets } from './sender.ts';

const record = {
  request: { size: 120 },
  response: { status: 200, size: 340 },
  latencies: { kong: 2, proxy: 7, request: 10, receive: 0 },
  route: { id: 'r-1', name: 'orders' },
  service: { id: 's-1', name: 'shop.v1', host: 'shop.internal' },
  consumer: { id: 'c-1', username: 'alice', custom_id: 'A-7' },
  workspace_name: 'default',
} as unknown as SerializedRecord;

const defaults = {
  prefix: 'kong',
  metrics: [
    { name: 'request_count', stat_type: 'counter', sample_rate: 1 },
    { name: 'latency', stat_type: 'timer' },
    { name: 'request_size', stat_type: 'counter', sample_rate: 1 },
    { name: 'status_count', stat_type: 'counter', sample_rate: 1 },
    { name: 'response_size', stat_type: 'counter', sample_rate: 1 },
    { name: 'unique_users', stat_type: 'set' },
    { name: 'request_per_user', stat_type: 'counter', sample_rate: 1 },
    { name: 'upstream_latency', stat_type: 'timer' },
    { name: 'kong_latency', stat_type: 'timer' },
    { name: 'status_count_per_user', stat_type: 'counter', sample_rate: 1 },
    { name: 'status_count_per_workspace', stat_type: 'counter', sample_rate: 1 },
    { name: 'status_count_per_user_per_route', stat_type: 'counter', sample_rate: 1 },
    { name: 'shdict_usage', stat_type: 'gauge', sample_rate: 1 },
  ],
  hostname_in_prefix: false,
  consumer_identifier_default: 'custom_id',
  service_identifier_default: 'service_name_or_host',
  workspace_identifier_default: 'workspace_id',
  tag_style: null,
} as unknown as StatsdConfig;

describe('statsd lines (Kong 3.10 log.lua)', () => {
  it("Kong's default metrics, names and types", () => {
    assert.deepEqual(statsdLines(record, defaults, 'host_1'), [
      'kong.service.shop_v1.request.count:1|c',
      'kong.service.shop_v1.latency:10|ms',
      'kong.service.shop_v1.request.size:120|c',
      'kong.service.shop_v1.status.200:1|c',
      'kong.service.shop_v1.response.size:340|c',
      'kong.service.shop_v1.user.uniques:A-7|s',
      'kong.service.shop_v1.user.A-7.request.count:1|c',
      'kong.service.shop_v1.upstream_latency:7|ms',
      'kong.service.shop_v1.kong_latency:2|ms',
      'kong.service.shop_v1.user.A-7.status.200:1|c',
      'kong.service.shop_v1.workspace.default.status.200:1|c',
      'kong.route.r-1.user.A-7.status.200:1|c',
    ]);
  });

  it('identifiers, sample rates, hostname_in_prefix, no service, no upstream', () => {
    const conf = {
      ...defaults,
      hostname_in_prefix: true,
      metrics: [
        { name: 'request_count', stat_type: 'counter', sample_rate: 0.5, service_identifier: 'service_id' },
        { name: 'request_per_user', stat_type: 'counter', sample_rate: 1, consumer_identifier: 'username' },
        { name: 'upstream_latency', stat_type: 'timer' },
      ],
    } as unknown as StatsdConfig;
    assert.deepEqual(statsdLines(record, conf, 'gw_1'), [
      'kong.node.gw_1.service.s-1.request.count:1|c|@0.5',
      'kong.node.gw_1.service.shop_v1.user.alice.request.count:1|c',
      'kong.node.gw_1.service.shop_v1.upstream_latency:7|ms',
    ]);
    const bare = {
      ...record,
      service: undefined,
      consumer: undefined,
      latencies: { kong: 1, proxy: -1, request: 1, receive: 0 },
    } as unknown as SerializedRecord;
    assert.deepEqual(statsdLines(bare, conf, 'gw_1'), [
      'kong.node.gw_1.global.unmatched.request.count:1|c|@0.5',
    ]);
  });

  it('tag styles: dogstatsd, influxdb, librato, signalfx; per-user metrics skipped', () => {
    const metrics = [
      { name: 'request_count', stat_type: 'counter', sample_rate: 1 },
      { name: 'status_count', stat_type: 'counter', sample_rate: 1 },
      { name: 'latency', stat_type: 'timer' },
    ];
    const tagged = (style: string) =>
      statsdLines(
        record,
        { ...defaults, hostname_in_prefix: true, metrics, tag_style: style } as unknown as StatsdConfig,
        'n1',
      );
    const tags = [
      'service',
      'shop.v1',
      'route',
      'orders',
      'workspace',
      'default',
      'consumer',
      'A-7',
      'node',
      'n1',
      'status',
      200,
    ];
    const pairs = (sep: string) =>
      Array.from({ length: tags.length / 2 }, (_, i) => `${tags[2 * i]}${sep}${tags[2 * i + 1]}`).join(',');
    assert.deepEqual(tagged('dogstatsd'), [
      `kong.request.count:1|c|#${pairs(':')}`,
      `kong.latency:10|ms|#${pairs(':')}`,
    ]);
    assert.deepEqual(tagged('influxdb'), [
      `kong.request.count,${pairs('=')}:1|c`,
      `kong.latency,${pairs('=')}:10|ms`,
    ]);
    assert.deepEqual(tagged('librato'), [
      `kong.request.count#${pairs('=')}:1|c`,
      `kong.latency#${pairs('=')}:10|ms`,
    ]);
    assert.deepEqual(tagged('signalfx'), [
      `kong.request.count[${pairs('=')}]:1|c`,
      `kong.latency[${pairs('=')}]:10|ms`,
    ]);
    assert.equal(statsdLine('p', 's', 1, 'c', 0.25), 'p.s:1|c|@0.25');
  });

  it('allow_status_codes ranges, and UDP packets up to udp_packet_size', () => {
    assert.equal(statusAllowed(undefined, 500), true);
    assert.equal(statusAllowed(['200-299', '401-401'], 401), true);
    assert.equal(statusAllowed(['200-299'], 404), false);
    assert.deepEqual(packets(['aaaa', 'bbbb', 'cccc'], 0), ['aaaa', 'bbbb', 'cccc']);
    assert.deepEqual(packets(['aaaa', 'bbbb', 'cccc'], 9), ['aaaa\nbbbb', 'cccc']);
    assert.deepEqual(packets(['aaaaaaaaaaaa', 'b'], 5), ['aaaaaaaaaaaa', 'b']);
  });
});
