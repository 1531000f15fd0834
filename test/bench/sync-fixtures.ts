/**
 * What the config sync benchmark drives: a DAO on the control plane's database for bulk loads,
 * data plane processes started on ports we choose, and the signals we time them by
 * (the "configuration applied" log line, a proxied 200, /status, the node id file).
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDao, type Dao, type EntityRow } from '@turnpike/control-plane/dao';
import { type Datastore, openDatastore } from '@turnpike/control-plane/store';
import { Client } from 'undici';
import type { ClusterCerts } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { http } from '../helpers/http.ts';
import { type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';

/** Routes written per transaction, and transactions in flight, when loading the background. */
const LOAD_BATCH = 1000;
const LOAD_CONCURRENCY = 4;

/** The control plane's database, written directly through the DAO (as `POST /config` would). */
export interface BenchStore extends AsyncDisposable {
  readonly dao: Dao;
  /** The service every benchmark route points at. */
  readonly serviceId: string;
  /** Routes `bg-<i>` for i in [from, to), each `/bg/<i>`, one transaction per batch. */
  addBackgroundRoutes(from: number, to: number): Promise<void>;
}

export async function openBenchStore(dsn: string, upstreamUrl: string): Promise<BenchStore> {
  const datastore: Datastore = await openDatastore({ kind: 'postgres', connectionString: dsn });
  // Routes hold no encrypted field; the key is never used.
  const dao = createDao(datastore, { pluginSchemas: () => undefined, secrets: ['sync-bench'] });
  const service = await dao.entity('services').insert({ name: 'bench', url: upstreamUrl });
  const addBatch = (from: number, to: number) =>
    dao.transaction(async (tx) => {
      const routes = tx.entity('routes');
      for (let i = from; i < to; i++) {
        await routes.insert({ name: `bg-${i}`, paths: [`/bg/${i}`], service: { id: service.id } });
      }
    });
  return {
    dao,
    serviceId: service.id,
    async addBackgroundRoutes(from, to) {
      const batches: [number, number][] = [];
      for (let i = from; i < to; i += LOAD_BATCH) batches.push([i, Math.min(to, i + LOAD_BATCH)]);
      const workers = Array.from({ length: LOAD_CONCURRENCY }, async () => {
        for (let next = batches.shift(); next !== undefined; next = batches.shift()) await addBatch(...next);
      });
      await Promise.all(workers);
    },
    [Symbol.asyncDispose]: () => datastore.close(),
  };
}

/** A data plane process on ports chosen here, so its sockets can be probed before it says "started". */
export interface SpawnedDataPlane {
  readonly proxyUrl: string;
  readonly statusUrl: string;
  readonly prefix: string;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
  /** Resolves once the process logged "Turnpike started"; disposing it stops the process. */
  readonly started: Promise<RunningTurnpike>;
}

/** Like startDataPlaneNode, but returns at spawn time: for timing a boot from its first instant. */
export async function spawnDataPlane(
  controlPlane: string,
  certs: Pick<ClusterCerts, 'cert' | 'key'>,
  prefix: string,
): Promise<SpawnedDataPlane> {
  const [proxy, status] = [await freePort(), await freePort()];
  const spawnedAt = performance.now();
  // With TURNPIKE_PREFIX given, startTurnpike spawns before its first await.
  const started = startTurnpike({
    env: {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_CONTROL_PLANE: controlPlane,
      TURNPIKE_CLUSTER_CERT: certs.cert,
      TURNPIKE_CLUSTER_CERT_KEY: certs.key,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      TURNPIKE_PREFIX: prefix,
    },
  });
  return {
    proxyUrl: `http://127.0.0.1:${proxy}`,
    statusUrl: `http://127.0.0.1:${status}`,
    prefix,
    spawnedAt,
    started,
  };
}

/**
 * The wall-clock time (ms since the epoch, as the data plane logged it) at which the data plane
 * applied `version` or later: its "configuration applied" line, written after the swap and the
 * cache file and just before the Ack. No polling: the line arrives on its stdout.
 */
export async function appliedAt(dp: RunningTurnpike, version: number, timeoutMs: number): Promise<number> {
  const line = await dp.waitForLog(
    (l) => l.msg === 'configuration applied' && typeof l.version === 'number' && l.version >= version,
    timeoutMs,
  );
  return Date.parse(String(line.time));
}

/**
 * Polls one listener (a proxy, a status port) over one keep-alive connection: how a client
 * would first see a new route served, or a booting node turn ready.
 */
export class Probe {
  readonly #client: Client;
  #closed = false;

  constructor(url: string) {
    this.#client = new Client(url, { pipelining: 1 });
  }

  async status(path: string): Promise<number> {
    const { statusCode, body } = await this.#client.request({ method: 'GET', path });
    await body.dump();
    return statusCode;
  }

  /** performance.now() at the first 200 for `path`; polls every intervalMs until the deadline. */
  firstOkAt(path: string, intervalMs: number, timeoutMs: number): Promise<number> {
    return this.firstAnswerAt(path, intervalMs, timeoutMs, (status) => status === 200);
  }

  /** performance.now() at the first answer `accept` takes (any HTTP answer by default). */
  async firstAnswerAt(
    path: string,
    intervalMs: number,
    timeoutMs: number,
    accept: (status: number) => boolean = () => true,
  ): Promise<number> {
    const until = performance.now() + timeoutMs;
    while (!this.#closed && performance.now() < until) {
      try {
        if (accept(await this.status(path))) return performance.now();
      } catch {
        // Not listening yet, or the connection was reset: keep polling until the deadline.
      }
      await sleep(intervalMs);
    }
    throw new Error(`${path} not answered as expected within ${timeoutMs} ms`);
  }

  /** Closes the connection; a poll still running gives up. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#client.close();
  }
}

/** The node id a Turnpike node keeps in its prefix (shared/src/process/node-id.ts). */
export async function nodeIdOf(prefix: string): Promise<string> {
  return (await readFile(join(prefix, 'node_id'), 'utf8')).trim().toLowerCase();
}

export interface DataPlaneListed {
  id: string;
  sync_status: string;
  config_version: number;
}

export async function listedDataPlanes(adminUrl: string): Promise<DataPlaneListed[]> {
  return ((await http('GET', `${adminUrl}/clustering/data-planes`)).body as { data: DataPlaneListed[] }).data;
}

/** Reads a stored route as the DAO returns it: the JSON the control plane syncs. */
export async function storedRoute(dao: Dao, idOrName: string): Promise<EntityRow> {
  const row = await dao.entity('routes').get(idOrName);
  if (row === undefined) throw new Error(`route ${idOrName} not found`);
  return row;
}
