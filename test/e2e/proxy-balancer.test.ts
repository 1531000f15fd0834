/**
 * Load balancing end to end: a proxy on 127.0.0.1 in front of three real upstream servers, the
 * services' host naming an Upstream entity, health checks and DNS through the BalancerRegistry.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { describe, it } from 'node:test';
import {
  BalancerRegistry,
  type BalancerRegistryOptions,
  balancerHealth,
  NO_PEER_MESSAGE,
  type TargetConfig,
  type UpstreamConfig,
} from '@turnpike/data-plane/balancer';
import { ConfigApplier } from '@turnpike/data-plane/config';
import { DEFAULT_SETTINGS, startProxy } from '@turnpike/data-plane/proxy';
import type { ProxyServiceConfig, RuntimeSource } from '@turnpike/data-plane/runtime';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import { createLogger } from '@turnpike/shared';
import {
  closedPort,
  type RecordingUpstream,
  recordingUpstream,
  send,
  withoutRequestId,
} from './proxy-fixtures.ts';

const UPSTREAM_ID = '00000000-0000-4000-8000-000000000001';

function upstream(extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { id: UPSTREAM_ID, name: 'backend.internal', ...extra };
}

function targetsOn(ports: readonly (number | string)[], weight = 100): TargetConfig[] {
  return ports.map((port, i) => ({
    id: `t${i}`,
    target: typeof port === 'number' ? `127.0.0.1:${port}` : port,
    weight,
    upstream: { id: UPSTREAM_ID },
  }));
}

interface BalancedProxy extends AsyncDisposable {
  readonly port: number;
  readonly registry: BalancerRegistry;
  readonly holder: RuntimeSource;
  readonly config: ConfigApplier;
}

async function balancedProxy(
  upstreams: UpstreamConfig[],
  targets: TargetConfig[],
  options: { service?: Partial<ProxyServiceConfig>; registry?: BalancerRegistryOptions } = {},
): Promise<BalancedProxy> {
  const pools = new UpstreamPools();
  const registry = new BalancerRegistry(options.registry);
  const services: ProxyServiceConfig[] = [
    { id: 'svc', protocol: 'http', host: 'backend.internal', port: 80, ...options.service },
  ];
  const routes = [{ id: 'route', paths: ['/'], service: { id: 'svc' } }];
  const config = new ConfigApplier({ dispatchers: pools, balancers: registry });
  config.install({ version: 1, services, routes, upstreams, targets });
  const holder = config.runtime;
  await registry.settled();
  const proxy = await startProxy({
    listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
    holder,
    settings: DEFAULT_SETTINGS,
    log: createLogger({ level: 'silent' }),
  });
  return {
    port: proxy.ports[0]!,
    registry,
    holder,
    config,
    async [Symbol.asyncDispose]() {
      await proxy.stop('now', Date.now());
      await registry.stop();
      await pools.close();
    },
  };
}

/** Which upstream (by index) answered each of `n` requests. */
async function spread(
  proxyPort: number,
  upstreams: readonly RecordingUpstream[],
  n: number,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const counts = upstreams.map(() => 0);
  for (let i = 0; i < n; i++) {
    const before = upstreams.map((u) => u.received.length);
    const res = await send(proxyPort, '/', headers);
    assert.equal(res.status, 200, res.body);
    upstreams.forEach((u, k) => {
      counts[k]! += u.received.length - before[k]!;
    });
  }
  return counts;
}

/** An HTTP server on a given port (to bring a stopped target back where it was). */
async function serverOn(port: number, onRequest: () => void): Promise<Server> {
  const server = createServer((_req, res) => {
    onRequest();
    res.end('back');
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('proxy load balancing', () => {
  it('shares requests round-robin by weight and sends the target host as Host', async () => {
    await using a = await recordingUpstream();
    await using b = await recordingUpstream();
    await using c = await recordingUpstream();
    const targets = [
      ...targetsOn([a.port], 100),
      ...targetsOn([b.port], 200).map((t) => ({ ...t, id: 'tb' })),
      { id: 'tc', target: `c.example.test:${c.port}`, weight: 300, upstream: { id: UPSTREAM_ID } },
    ];
    await using proxy = await balancedProxy([upstream()], targets, {
      registry: { resolve: async () => [{ address: '127.0.0.1', ttl: 60 }] },
    });
    assert.deepEqual(await spread(proxy.port, [a, b, c], 60), [10, 20, 30]);
    assert.equal(a.received[0]!.headers.host, `127.0.0.1:${a.port}`);
    assert.equal(c.received[0]!.headers.host, `c.example.test:${c.port}`, 'a DNS target keeps its name');
  });

  it('retries a connection failure on another target', async () => {
    await using a = await recordingUpstream();
    const dead = await closedPort();
    await using proxy = await balancedProxy([upstream()], targetsOn([dead, a.port]));
    for (let i = 0; i < 6; i++) assert.equal((await send(proxy.port, '/')).status, 200);
    assert.equal(a.received.length, 6);
  });

  it('marks a target that goes down unhealthy from real traffic, moves traffic away, and active checks bring it back', async () => {
    await using a = await recordingUpstream();
    await using b = await recordingUpstream();
    const c = await recordingUpstream();
    const healthchecks = {
      passive: { unhealthy: { tcp_failures: 1 } },
      active: { http_path: '/status', unhealthy: { interval: 0.05 }, healthy: { successes: 1 } },
    };
    await using proxy = await balancedProxy(
      [upstream({ healthchecks })],
      targetsOn([a.port, b.port, c.port]),
    );
    const cPort = c.port;
    await c[Symbol.asyncDispose]();

    // The first request that meets the dead target is retried elsewhere: the client sees none fail.
    assert.deepEqual(await spread(proxy.port, [a, b], 30).then((n) => n[0]! + n[1]!), 30);
    const health = () => balancerHealth(proxy.holder.current, UPSTREAM_ID)!.data.find((t) => t.id === 't2')!;
    assert.equal(health().health, 'UNHEALTHY');

    // The target comes back on its port: an active probe of /status sees it, traffic returns.
    let probed: () => void = () => {};
    const firstProbe = new Promise<void>((resolve) => (probed = resolve));
    let hits = 0;
    const revived = await serverOn(cPort, () => {
      hits++;
      probed();
    });
    try {
      await firstProbe;
      while (health().health !== 'HEALTHY') await new Promise((resolve) => setImmediate(resolve));
      const before = hits;
      for (let i = 0; i < 9; i++) assert.equal((await send(proxy.port, '/')).status, 200);
      assert.ok(hits - before >= 3, `the recovered target served ${hits - before} of 9`);
    } finally {
      revived.closeAllConnections();
      revived.close();
    }
  });

  it("answers 503 with Kong's message when every target is unhealthy", async () => {
    const dead = [await closedPort(), await closedPort()];
    await using proxy = await balancedProxy(
      [upstream({ healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } })],
      targetsOn(dead),
    );
    const res = await send(proxy.port, '/');
    assert.equal(res.status, 503);
    assert.deepEqual(withoutRequestId(JSON.parse(res.body)), { message: NO_PEER_MESSAGE });
    assert.equal(NO_PEER_MESSAGE, 'failure to get a peer from the ring-balancer');
    assert.deepEqual(
      balancerHealth(proxy.holder.current, UPSTREAM_ID)!.data.map((t) => t.health),
      ['UNHEALTHY', 'UNHEALTHY'],
    );
  });

  it('sticks a client to one target with consistent hashing on a header', async () => {
    await using a = await recordingUpstream();
    await using b = await recordingUpstream();
    await using c = await recordingUpstream();
    const ups = [upstream({ algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' })];
    await using proxy = await balancedProxy(ups, targetsOn([a.port, b.port, c.port]));
    const used = new Set<number>();
    for (let user = 0; user < 12; user++) {
      const counts = await spread(proxy.port, [a, b, c], 4, { 'x-user': `user-${user}` });
      const served = counts.filter((n) => n > 0);
      assert.deepEqual(served, [4], `user-${user} stayed on one target: ${counts}`);
      used.add(counts.indexOf(4));
    }
    assert.ok(used.size >= 2, 'different users land on different targets');
  });

  it('sets the hash cookie on the response when the client has none, and sticks once it does', async () => {
    await using a = await recordingUpstream();
    await using b = await recordingUpstream();
    const ups = [upstream({ algorithm: 'consistent-hashing', hash_on: 'cookie', hash_on_cookie: 'tp' })];
    await using proxy = await balancedProxy(ups, targetsOn([a.port, b.port]));
    const first = await send(proxy.port, '/');
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /^tp=[0-9a-f-]{36}; Path=\/; Same-Site=Lax; HttpOnly$/);
    const counts = await spread(proxy.port, [a, b], 6, { cookie: cookie.split(';')[0]! });
    assert.ok(counts.includes(6), String(counts));
    const again = await send(proxy.port, '/', { cookie: cookie.split(';')[0]! });
    assert.equal(again.headers['set-cookie'], undefined);
  });

  it("keeps health across a config change and drops a removed upstream's balancer", async () => {
    await using a = await recordingUpstream();
    const dead = await closedPort();
    const healthchecks = { passive: { unhealthy: { tcp_failures: 1 } } };
    await using proxy = await balancedProxy([upstream({ healthchecks })], targetsOn([dead, a.port]));
    await spread(proxy.port, [a], 4);
    const next = proxy.config.install({
      version: 2,
      services: [{ id: 'svc', protocol: 'http', host: 'backend.internal', port: 80 }],
      routes: [{ id: 'route', paths: ['/'], service: { id: 'svc' } }],
      upstreams: [upstream({ healthchecks, algorithm: 'least-connections' })],
      targets: targetsOn([dead, a.port]),
    });
    assert.equal(balancerHealth(next, UPSTREAM_ID)!.data[0]!.health, 'UNHEALTHY');
    const empty = proxy.config.install({ version: 3, services: [], routes: [], upstreams: [], targets: [] });
    assert.equal(proxy.registry.size, 0);
    assert.equal(balancerHealth(empty, UPSTREAM_ID), undefined);
  });
});
