/**
 * Turnpike nodes for the benchmark that need no control plane process: a configuration that
 * took the real road (written through the control plane's DAO on an embedded PostgreSQL, exported
 * and snapshot-encoded as the control plane syncs it: plugin-fixtures.ts), written as a data
 * plane's cache file, and a real data plane process (`turnpike
 * start`, role data_plane, `worker_processes` N) booting from it with its control plane down.
 * That is the path a data plane takes after a restart, and the proxy serves exactly what a
 * synced configuration would make it serve, without a control plane busy on the same CPU.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCacheFile } from '@turnpike/data-plane/sync';
import { type ConfigContent, hashConfig } from '@turnpike/shared/sync';
import { bundledPlugins, type Entities, syncedStore } from '../e2e/plugin-fixtures.ts';
import type { ClusterCerts, DataPlaneNode } from '../helpers/cluster.ts';
import { startDataPlaneNode } from '../helpers/cluster.ts';
import { requestShape, routeShape } from './route-mix.ts';

/** The key the plugins target's requests carry (header `apikey`, key-auth's default). */
export const BENCH_API_KEY = 'bench-api-key-0123456789';

/** A control plane port nothing listens on: the data plane serves its cache and keeps retrying. */
export const NO_CONTROL_PLANE = 1;

/** A stable UUID per (kind, index), so runs build identical configurations. */
function uuid(kind: number, i: number): string {
  return `00000000-0000-4000-8${kind.toString(16).padStart(3, '0')}-${i.toString(16).padStart(12, '0')}`;
}

export interface BenchConfigOptions {
  readonly upstreamPort: number;
  /** 1: one route `/bench`; more: the mixed table of route-mix.ts. */
  readonly routes: number;
  /** key-auth and rate-limiting (local policy, a limit never reached) on the benched route. */
  readonly plugins?: boolean;
  /** A global prometheus plugin with every switch on. */
  readonly prometheus?: boolean;
  /**
   * A global opentelemetry plugin sampling every request, exporting to the bench upstream
   * (`/v1/traces`, which answers 200 to any request): every request's spans are encoded and sent.
   */
  readonly opentelemetry?: boolean;
  /** One traffic plugin on the benched route, configured as TRAFFIC_PLUGIN_CONFIGS says. */
  readonly trafficPlugin?: TrafficPlugin;
  /** The traffic plugin's config, instead of TRAFFIC_PLUGIN_CONFIGS' (one that names a port of this run). */
  readonly pluginConfig?: Record<string, unknown>;
}

export type TrafficPlugin = 'ip-restriction' | 'cors' | 'request-transformer' | 'http-log';

/** What the traffic plugin targets run: each lets the bench request through, doing its work on it. */
export const TRAFFIC_PLUGIN_CONFIGS: Readonly<Record<TrafficPlugin, Record<string, unknown>>> = {
  // The load comes from 127.0.0.1: allowed after a deny list it is not in.
  'ip-restriction': { allow: ['10.0.0.0/8', '127.0.0.1', '::1'], deny: ['192.0.2.0/24'] },
  // No Origin on the bench request: allow_origin_absent (the default) still sets the headers.
  cors: {
    origins: ['http://app.example.test', '(.*[./])?bench\\.test'],
    credentials: true,
    exposed_headers: ['x-total'],
  },
  'request-transformer': {
    remove: { headers: ['x-none'] },
    add: { headers: ['x-added:1', 'x-host:$(headers.host)'], querystring: ['bench:1'] },
  },
  // The target gives http_endpoint (its slow receiver's port); Kong's queue defaults otherwise.
  'http-log': { http_endpoint: 'http://127.0.0.1:9/' },
};

export interface BenchConfig {
  readonly content: ConfigContent;
  /** Path and Host of a request served by the benched route: the last route of the table. */
  readonly request: { readonly path: string; readonly host: string | undefined };
}

/** The configuration, as the control plane would store and sync it. */
export async function benchConfig(options: BenchConfigOptions): Promise<BenchConfig> {
  const service = { id: uuid(1, 0), name: 'bench', url: `http://127.0.0.1:${options.upstreamPort}` };
  const routes: Record<string, unknown>[] = [];
  let request: BenchConfig['request'];
  if (options.routes === 1) {
    routes.push({ id: uuid(2, 0), name: 'bench', paths: ['/bench'], service: { id: service.id } });
    request = { path: '/bench', host: undefined };
  } else {
    for (let i = 0; i < options.routes; i++) {
      const shape = routeShape(i);
      routes.push({ id: uuid(2, i), name: `r-${i}`, ...shape, service: { id: service.id } });
    }
    const late = requestShape(options.routes - 1);
    // Host-less routes match any Host: the request keeps the client's own.
    request = {
      path: late.path,
      host: routeShape(options.routes - 1).hosts === undefined ? undefined : late.host,
    };
  }
  const rest: Entities = {};
  if (options.plugins === true) {
    const target = routes.at(-1)!.id as string;
    const consumer = { id: uuid(3, 0), username: 'bench' };
    rest.consumers = [consumer];
    rest.keyauth_credentials = [{ id: uuid(4, 0), key: BENCH_API_KEY, consumer: { id: consumer.id } }];
    rest.plugins = [
      { id: uuid(5, 0), name: 'key-auth', route: { id: target }, config: {} },
      {
        id: uuid(5, 1),
        name: 'rate-limiting',
        route: { id: target },
        config: { minute: 1_000_000_000, policy: 'local' },
      },
    ];
  }
  if (options.prometheus === true) {
    const config = {
      per_consumer: true,
      status_code_metrics: true,
      latency_metrics: true,
      bandwidth_metrics: true,
      upstream_health_metrics: true,
    };
    rest.plugins = [...(rest.plugins ?? []), { id: uuid(5, 9), name: 'prometheus', config }];
  }
  if (options.opentelemetry === true) {
    const config = {
      traces_endpoint: `http://127.0.0.1:${options.upstreamPort}/v1/traces`,
      sampling_rate: 1,
    };
    rest.plugins = [...(rest.plugins ?? []), { id: uuid(5, 8), name: 'opentelemetry', config }];
  }
  if (options.trafficPlugin !== undefined) {
    const target = routes.at(-1)!.id as string;
    rest.plugins = [
      ...(rest.plugins ?? []),
      {
        id: uuid(5, 2),
        name: options.trafficPlugin,
        route: { id: target },
        config: options.pluginConfig ?? TRAFFIC_PLUGIN_CONFIGS[options.trafficPlugin],
      },
    ];
  }
  await using store = await syncedStore((await bundledPlugins()).schemas);
  await store.write({ services: [service] });
  // Routes in transactions of a thousand: one at a time, 10,000 would take PGlite most of a minute.
  for (let i = 0; i < routes.length; i += 1000) {
    await store.dao.transaction(async (tx) => {
      for (const route of routes.slice(i, i + 1000)) await tx.entity('routes').insert(route);
    });
  }
  await store.write(rest);
  return { content: (await store.snapshot()).config, request };
}

/** A data plane process serving `content` from its cache file; disposing stops it and removes its prefix. */
export interface CachedDataPlane extends AsyncDisposable {
  readonly node: DataPlaneNode;
}

/** Writes `content` as the cache file of a new prefix. */
export async function cachePrefix(content: ConfigContent): Promise<string> {
  const prefix = await mkdtemp(join(tmpdir(), 'turnpike-bench-dp-'));
  await writeCacheFile(join(prefix, 'config.cache'), {
    version: 1,
    hash: hashConfig(content),
    config: content,
  });
  return prefix;
}

export async function startCachedDataPlane(
  certs: Pick<ClusterCerts, 'cert' | 'key'>,
  content: ConfigContent,
  workers: number,
  env: Record<string, string> = {},
): Promise<CachedDataPlane> {
  const prefix = await cachePrefix(content);
  try {
    const node = await startDataPlaneNode(NO_CONTROL_PLANE, certs, {
      prefix,
      env: { TURNPIKE_WORKER_PROCESSES: String(workers), ...env },
    });
    return {
      node,
      async [Symbol.asyncDispose]() {
        try {
          await node[Symbol.asyncDispose]();
        } finally {
          await rm(prefix, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(prefix, { recursive: true, force: true });
    throw error;
  }
}
