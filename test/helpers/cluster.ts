import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { http } from './http.ts';
import { type RunningTurnpike, runTurnpike, type StartOptions, startTurnpike } from './turnpike.ts';

/** Cluster certificates made by `turnpike hybrid gen_cert`, in a temporary folder. */
export interface ClusterCerts extends AsyncDisposable {
  readonly cert: string;
  readonly key: string;
}

export async function genClusterCert(): Promise<ClusterCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-certs-'));
  const cert = join(dir, 'cluster.crt');
  const key = join(dir, 'cluster.key');
  const result = await runTurnpike(['hybrid', 'gen_cert', cert, key]);
  if (result.code !== 0) throw new Error(`gen_cert failed: ${result.stderr}`);
  return {
    cert,
    key,
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ControlPlaneNode extends RunningTurnpike {
  readonly adminUrl: string;
  readonly clusterPort: number;
  readonly statusUrl: string;
}

export interface DataPlaneNode extends RunningTurnpike {
  readonly proxyUrl: string;
  readonly statusUrl: string;
}

/**
 * Starts a node on ports from freePort(), again on new ports when one was taken meanwhile: the
 * kernel also hands ports of that range to outgoing connections (any process on the machine).
 */
async function withFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String((err as Error).message))) throw err;
    }
  }
}

/**
 * A control plane process on PostgreSQL (`dsn`), migrations run at start. Give the ports of a
 * previous one to restart it in its place.
 */
export function startControlPlaneNode(
  dsn: string,
  certs: Pick<ClusterCerts, 'cert' | 'key'>,
  options: {
    clusterPort?: number;
    adminPort?: number;
    statusPort?: number;
    env?: Record<string, string>;
  } = {},
): Promise<ControlPlaneNode> {
  return withFreshPorts(() => startControlPlaneOnce(dsn, certs, options));
}

async function startControlPlaneOnce(
  dsn: string,
  certs: Pick<ClusterCerts, 'cert' | 'key'>,
  options: { clusterPort?: number; adminPort?: number; statusPort?: number; env?: Record<string, string> },
): Promise<ControlPlaneNode> {
  const [admin, cluster, status] = [
    options.adminPort ?? (await freePort()),
    options.clusterPort ?? (await freePort()),
    options.statusPort ?? (await freePort()),
  ];
  const node = await startTurnpike({
    args: ['--run-migrations'],
    env: {
      TURNPIKE_ROLE: 'control_plane',
      TURNPIKE_DSN: dsn,
      TURNPIKE_CLUSTER_CERT: certs.cert,
      TURNPIKE_CLUSTER_CERT_KEY: certs.key,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_CLUSTER_LISTEN: `127.0.0.1:${cluster}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      ...options.env,
    },
  });
  return Object.assign(node, {
    adminUrl: `http://127.0.0.1:${admin}`,
    clusterPort: cluster,
    statusUrl: `http://127.0.0.1:${status}`,
  });
}

/** A data plane process following the control plane on `clusterPort`. */
export function startDataPlaneNode(
  clusterPort: number,
  certs: Pick<ClusterCerts, 'cert' | 'key'>,
  options: Pick<StartOptions, 'env'> & { prefix?: string } = {},
): Promise<DataPlaneNode> {
  return withFreshPorts(() => startDataPlaneOnce(clusterPort, certs, options));
}

async function startDataPlaneOnce(
  clusterPort: number,
  certs: Pick<ClusterCerts, 'cert' | 'key'>,
  options: Pick<StartOptions, 'env'> & { prefix?: string },
): Promise<DataPlaneNode> {
  const [proxy, status] = [await freePort(), await freePort()];
  const node = await startTurnpike({
    env: {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
      TURNPIKE_CLUSTER_CERT: certs.cert,
      TURNPIKE_CLUSTER_CERT_KEY: certs.key,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      ...(options.prefix === undefined ? {} : { TURNPIKE_PREFIX: options.prefix }),
      ...options.env,
    },
  });
  return Object.assign(node, {
    proxyUrl: `http://127.0.0.1:${proxy}`,
    statusUrl: `http://127.0.0.1:${status}`,
  });
}

export interface TraditionalNode extends RunningTurnpike {
  readonly adminUrl: string;
  readonly proxyUrl: string;
  readonly statusUrl: string;
}

/** A `traditional` node (embedded datastore in memory) on free ports for its Admin API, proxy and status. */
export async function startTraditionalNode(
  options: Pick<StartOptions, 'env'> = {},
): Promise<TraditionalNode> {
  const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()];
  const node = await startTurnpike({
    env: {
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      ...options.env,
    },
  });
  return Object.assign(node, {
    adminUrl: `http://127.0.0.1:${admin}`,
    proxyUrl: `http://127.0.0.1:${proxy}`,
    statusUrl: `http://127.0.0.1:${status}`,
  });
}

/** An item of the control plane's `GET /clustering/data-planes`, as the tests read it. */
export interface DataPlaneItem {
  id: string;
  sync_status: string;
  config_hash: string;
  config_version: number;
  last_error?: string;
  last_error_code?: string;
}

/** The data planes the control plane lists now. */
export async function dataPlanes(cp: Pick<ControlPlaneNode, 'adminUrl'>): Promise<DataPlaneItem[]> {
  return ((await http('GET', `${cp.adminUrl}/clustering/data-planes`)).body as { data: DataPlaneItem[] })
    .data;
}
