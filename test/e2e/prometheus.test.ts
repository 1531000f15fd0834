import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { WebSocket } from 'ws';
import { CONNECTION_STATES, DASHBOARD_7424 } from '../fixtures/grafana/kong-official-7424.ts';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startEchoUpstream, startWebSocketEchoUpstream } from '../helpers/upstream.ts';

/** kong/plugins/prometheus/exporter.lua's buckets, as exposed (`le`), +Inf last. */
const KONG_BUCKETS = [
  '1',
  '2',
  '5',
  '7',
  '10',
  '15',
  '20',
  '30',
  '50',
  '75',
  '100',
  '200',
  '500',
  '750',
  '1000',
  '3000',
  '6000',
  '+Inf',
];
const UPSTREAM_BUCKETS = [
  '25',
  '50',
  '80',
  '100',
  '250',
  '400',
  '700',
  '1000',
  '2000',
  '5000',
  '10000',
  '30000',
  '60000',
  '+Inf',
];

/**
 * The status listener's `/metrics`, parsed. parse-prometheus-text-format flattens a histogram's
 * buckets without their labels (it reads unlabelled histograms only), so histogram families are
 * parsed as their three untyped series (`_bucket`, `_sum`, `_count`, labels intact); the declared
 * types are kept apart.
 */
async function scrape(statusUrl: string): Promise<Map<string, PromFamily>> {
  const res = await fetch(`${statusUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  const histograms = new Set([...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]!));
  // Untyped, a histogram's `_bucket` lines of one series after another's `_count` start a family
  // of the same name again: the samples of every family of a name are merged.
  const families = new Map<string, PromFamily>();
  for (const family of parsePrometheusTextFormat(
    text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'),
  )) {
    const seen = families.get(family.name);
    families.set(
      family.name,
      seen === undefined ? family : { ...seen, metrics: [...seen.metrics, ...family.metrics] },
    );
  }
  for (const name of histograms) {
    families.set(name, {
      name,
      help: '',
      type: 'HISTOGRAM',
      metrics: families.get(`${name}_count`)?.metrics ?? [],
    });
  }
  return families;
}

/** A histogram series' buckets (`le` → cumulative count), in the order exposed. */
function bucketsOf(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string>,
): Record<string, string> {
  const buckets: Record<string, string> = {};
  for (const m of families.get(`${name}_bucket`)?.metrics ?? []) {
    if (Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) buckets[m.labels!.le!] = m.value!;
  }
  return buckets;
}

function sample(families: Map<string, PromFamily>, name: string, labels: Record<string, string>) {
  return families
    .get(name)
    ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

async function created(res: Promise<{ status: number; text: string }>): Promise<void> {
  const answer = await res;
  assert.equal(answer.status, 201, answer.text);
}

describe('the prometheus plugin', () => {
  it("exports Kong's metric names, labels and buckets on the status listener, every worker aggregated, as dashboard 7424 reads them", async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode({ env: { TURNPIKE_WORKER_PROCESSES: '2' } });
    const admin = node.adminUrl;
    await created(http('POST', `${admin}/upstreams`, { name: 'up1' }));
    await created(http('POST', `${admin}/upstreams/up1/targets`, { target: `127.0.0.1:${upstream.port}` }));
    await created(http('POST', `${admin}/services`, { name: 'echo', host: 'up1', port: 80 }));
    await created(http('POST', `${admin}/services/echo/routes`, { name: 'r1', paths: ['/echo'] }));
    await created(http('POST', `${admin}/services/echo/routes`, { name: 'r2', paths: ['/private'] }));
    await created(http('POST', `${admin}/routes/r2/plugins`, { name: 'key-auth' }));
    await created(http('POST', `${admin}/consumers`, { username: 'alice' }));
    await created(http('POST', `${admin}/consumers/alice/key-auth`, { key: 'alice-key' }));
    await created(
      http('POST', `${admin}/plugins`, {
        name: 'prometheus',
        config: {
          per_consumer: true,
          status_code_metrics: true,
          latency_metrics: true,
          bandwidth_metrics: true,
          upstream_health_metrics: true,
        },
      }),
    );
    // Every worker runs the version with the plugin once `/status/ready` says so.
    await eventually(
      () => http('GET', `${node.proxyUrl}/private`, undefined, { apikey: 'alice-key' }),
      (r) => r.status === 200,
    );
    await eventually(
      () => http('GET', `${node.statusUrl}/status/ready`),
      (r) => r.status === 200,
    );
    const before = sample(await scrape(node.statusUrl), 'kong_http_requests_total', {
      route: 'r1',
      code: '200',
    });
    const already = Number(before?.value ?? 0);
    const N = 20;
    // New connections each time, so that both workers serve some.
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${node.proxyUrl}/echo/${i}`, { headers: { connection: 'close' } });
      assert.equal(res.status, 200);
      await res.text();
    }
    assert.equal((await http('GET', `${node.proxyUrl}/private`)).status, 401);
    // alice's first request (above) may have reached a worker before the prometheus plugin did:
    // one more, now that every worker counts (the 20 above, spread over both, say so below).
    const keyed = await http('GET', `${node.proxyUrl}/private`, undefined, { apikey: 'alice-key' });
    assert.equal(keyed.status, 200);

    const families = await scrape(node.statusUrl);
    const r1 = sample(families, 'kong_http_requests_total', {
      service: 'echo',
      route: 'r1',
      code: '200',
      source: 'service',
      workspace: 'default',
      consumer: '',
    });
    assert.equal(Number(r1?.value) - already, N, 'every request counted once, whichever worker served it');
    const alice = sample(families, 'kong_http_requests_total', {
      route: 'r2',
      code: '200',
      consumer: 'alice',
    });
    assert.ok(Number(alice?.value) >= 1, 'per_consumer: the username');
    const refused = sample(families, 'kong_http_requests_total', {
      route: 'r2',
      code: '401',
      source: 'kong',
    });
    assert.equal(refused?.value, '1', 'a plugin’s answer is the source "kong"');

    for (const [name, buckets] of [
      ['kong_kong_latency_ms', KONG_BUCKETS],
      ['kong_upstream_latency_ms', UPSTREAM_BUCKETS],
      ['kong_request_latency_ms', UPSTREAM_BUCKETS],
    ] as const) {
      assert.equal(families.get(name)?.type, 'HISTOGRAM', name);
      assert.deepEqual(
        Object.keys(bucketsOf(families, name, { route: 'r1' })),
        buckets,
        `${name}: Kong's buckets`,
      );
      const count = sample(families, `${name}_count`, { route: 'r1' });
      assert.ok(Number(count?.value) >= N, name);
      assert.deepEqual(count?.labels, { service: 'echo', route: 'r1', workspace: 'default' });
    }
    for (const direction of ['ingress', 'egress']) {
      const bytes = sample(families, 'kong_bandwidth_bytes', { route: 'r1', direction, consumer: '' });
      assert.ok(Number(bytes?.value) > N * 50, `${direction}: ${bytes?.value}`);
    }
    const target = `127.0.0.1:${upstream.port}`;
    assert.equal(
      sample(families, 'kong_upstream_target_health', {
        upstream: 'up1',
        target,
        address: target,
        state: 'healthchecks_off',
      })?.value,
      '1',
    );
    assert.equal(
      sample(families, 'kong_upstream_target_health', { upstream: 'up1', target, state: 'healthy' })?.value,
      '0',
    );
    const accepted = Number(sample(families, 'kong_nginx_connections_total', { state: 'accepted' })?.value);
    assert.ok(accepted >= N, `accepted ${accepted}`);
    assert.ok(Number(sample(families, 'kong_nginx_connections_total', { state: 'total' })?.value) >= N + 2);
    const workers = families.get('kong_memory_workers_lua_vms_bytes')?.metrics ?? [];
    assert.equal(new Set(workers.map((m) => m.labels?.pid)).size, 2, 'one series per worker: both answered');
    assert.equal(families.get('kong_datastore_reachable')?.metrics[0]?.value, '1');
    assert.equal(families.get('kong_node_info')?.metrics[0]?.value, '1');
    assert.ok(families.has('process_cpu_user_seconds_total'), "Node's process metrics");
    assert.ok(families.has('nodejs_heap_size_used_bytes'));

    // The hybrid series of the control plane: its data plane, with the hash it holds.
    const [dp] = (
      (await http('GET', `${admin}/clustering/data-planes`)).body as {
        data: { id: string; config_hash: string }[];
      }
    ).data;
    const hash = sample(families, 'kong_data_plane_config_hash', { node_id: dp!.id });
    assert.equal(Number(hash?.value), Number(BigInt(`0x${dp!.config_hash}`)));
    assert.ok(sample(families, 'kong_data_plane_last_seen', { node_id: dp!.id }));
    assert.equal(sample(families, 'kong_data_plane_version_compatible', { node_id: dp!.id })?.value, '1');

    // Dashboard 7424: every metric its queries read, with every label they select on or group by.
    for (const metric of DASHBOARD_7424) {
      const family = families.get(metric.name);
      if (metric.notApplicable !== undefined) {
        assert.equal(family, undefined, `${metric.name}: ${metric.notApplicable}`);
        continue;
      }
      assert.equal(family?.type, metric.type, `${metric.name} (${metric.query})`);
      for (const label of metric.labels) {
        assert.ok(
          family.metrics.some((m) => m.labels?.[label] !== undefined),
          `${metric.name} has no ${label} label, which ${metric.query} reads`,
        );
      }
    }
    const states = new Set(families.get('kong_nginx_connections_total')?.metrics.map((m) => m.labels?.state));
    for (const state of CONNECTION_STATES) assert.ok(states.has(state), state);
  });

  it('counts nothing for a route the plugin does not apply to, and only what its switches ask', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode();
    const admin = node.adminUrl;
    await created(http('POST', `${admin}/services`, { name: 'echo', url: upstream.url }));
    await created(http('POST', `${admin}/services/echo/routes`, { name: 'measured', paths: ['/m'] }));
    await created(http('POST', `${admin}/services/echo/routes`, { name: 'plain', paths: ['/p'] }));
    // Kong's defaults: every switch off but status codes here.
    await created(
      http('POST', `${admin}/routes/measured/plugins`, {
        name: 'prometheus',
        config: { status_code_metrics: true },
      }),
    );
    await eventually(
      async () => {
        await http('GET', `${node.proxyUrl}/m`);
        return scrape(node.statusUrl);
      },
      (families) => sample(families, 'kong_http_requests_total', { route: 'measured' }) !== undefined,
    );
    await http('GET', `${node.proxyUrl}/p`);
    const families = await scrape(node.statusUrl);
    assert.equal(sample(families, 'kong_http_requests_total', { route: 'plain' }), undefined);
    assert.equal(
      families.get('kong_request_latency_ms_count')?.metrics.length ?? 0,
      0,
      'latency_metrics is off',
    );
    assert.equal(families.get('kong_bandwidth_bytes')?.metrics.length ?? 0, 0, 'bandwidth_metrics is off');
    assert.equal(
      families.get('kong_upstream_target_health')?.metrics.length ?? 0,
      0,
      'upstream_health_metrics is off',
    );
  });

  it('counts a WebSocket handshake as Kong does (code 101, once its connection closed), and the in-flight gauge returns', async () => {
    await using upstream = await startWebSocketEchoUpstream();
    await using node = await startTraditionalNode();
    const admin = node.adminUrl;
    await created(
      http('POST', `${admin}/services`, { name: 'ws', url: `http://127.0.0.1:${upstream.port}` }),
    );
    await created(http('POST', `${admin}/services/ws/routes`, { name: 'chat', paths: ['/chat'] }));
    await created(
      http('POST', `${admin}/plugins`, {
        name: 'prometheus',
        config: { status_code_metrics: true, bandwidth_metrics: true },
      }),
    );
    const talk = () =>
      new Promise<boolean>((resolve) => {
        const ws = new WebSocket(`${node.proxyUrl.replace('http', 'ws')}/chat`);
        ws.on('open', () => ws.send('ping'));
        ws.on('message', () => ws.close());
        ws.on('close', () => resolve(true));
        ws.on('error', () => resolve(false));
        ws.on('unexpected-response', () => {
          ws.terminate();
          resolve(false);
        });
      });
    const families = await eventually(
      async () => {
        await talk();
        return scrape(node.statusUrl);
      },
      (f) => sample(f, 'kong_http_requests_total', { route: 'chat', code: '101' }) !== undefined,
    );
    assert.equal(
      sample(families, 'kong_http_requests_total', { route: 'chat', code: '101' })?.labels?.source,
      'service',
    );
    assert.ok(
      Number(sample(families, 'kong_bandwidth_bytes', { route: 'chat', direction: 'egress' })?.value) > 0,
    );
    // Nothing is left counted as in flight once the tunnels closed.
    const writing = await eventually(
      async () =>
        Number(
          sample(await scrape(node.statusUrl), 'kong_nginx_connections_total', { state: 'writing' })?.value,
        ),
      (n) => n <= 1,
    );
    assert.ok(writing <= 1, String(writing));
  });
});
