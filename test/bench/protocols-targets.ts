/**
 * The targets of the protocols section, each pinned to the proxy CPU: the grpc-js echo server and
 * the TCP sink (protocols-peer.ts), a traditional Turnpike node with one worker, an h2c listener
 * and a stream listener (routes created through its Admin API), and Debian's nginx with one worker
 * (`grpc_pass` on a plain `http2` listener, and a `stream` server with `proxy_pass`, from the
 * dynamic module of libnginx-mod-stream).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/free-port.ts';
import { http } from '../helpers/http.ts';
import { type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type ListeningChild, pinTree, spawnListening, stopChild } from './processes.ts';

/** Servers and proxies run here; the load generators on the other CPU. */
export const TARGET_CPU = '0';
export const LOAD_CPU = '1';

export const PEER = join(import.meta.dirname, 'protocols-peer.ts');

/** A protocols-peer server role (`tcp-pipe` takes the sink's port), pinned to the target CPU. */
export async function startPeer(
  role: 'grpc-server' | 'grpc-forward' | 'tcp-sink' | 'tcp-pipe',
  ...args: string[]
): Promise<ListeningChild> {
  const peer = await spawnListening(process.execPath, [PEER, role, ...args]);
  await pinTree(peer.child.pid!, TARGET_CPU);
  return peer;
}

/** What the gRPC load peer (protocols-peer.ts) prints for one run. */
export interface GrpcRun {
  calls: number;
  errors: number;
  seconds: number;
  cpu: number;
  firstError?: string;
}

export interface TurnpikeTarget extends AsyncDisposable {
  readonly grpcPort: number;
  readonly streamPort: number;
  /** The node's main process (its workers are its children). */
  readonly pid: number;
}

/** A traditional node (dsn = memory, 1 worker) proxying gRPC to `grpcPort` and TCP to `sinkPort`. */
export async function startTurnpikeTarget(
  grpcPort: number,
  sinkPort: number,
  env: Record<string, string> = {},
): Promise<TurnpikeTarget> {
  const [proxy, stream, admin, status] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const node: RunningTurnpike = await startTurnpike({
    cpus: TARGET_CPU,
    env: {
      TURNPIKE_ROLE: 'traditional',
      TURNPIKE_DSN: 'memory',
      TURNPIKE_WORKER_PROCESSES: '1',
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy} http2`,
      TURNPIKE_STREAM_LISTEN: `127.0.0.1:${stream}`,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      ...env,
    },
  });
  try {
    const adminUrl = `http://127.0.0.1:${admin}`;
    const created = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await http('POST', `${adminUrl}${path}`, body);
      if (res.status !== 201) throw new Error(`Admin API ${path}: ${res.status} ${res.text}`);
    };
    await created('/services', { name: 'grpc-echo', url: `grpc://127.0.0.1:${grpcPort}` });
    await created('/services/grpc-echo/routes', {
      name: 'grpc-echo',
      protocols: ['grpc'],
      paths: ['/test.Echo/'],
    });
    await created('/services', { name: 'tcp-sink', url: `tcp://127.0.0.1:${sinkPort}` });
    await created('/services/tcp-sink/routes', {
      name: 'tcp-sink',
      protocols: ['tcp'],
      destinations: [{ port: stream }],
    });
  } catch (error) {
    await node[Symbol.asyncDispose]();
    throw error;
  }
  return {
    grpcPort: proxy,
    streamPort: stream,
    pid: node.child.pid!,
    [Symbol.asyncDispose]: () => node[Symbol.asyncDispose](),
  };
}

export interface NginxTarget extends AsyncDisposable {
  readonly grpcPort: number;
  readonly streamPort: number;
  readonly child: ChildProcess;
}

function nginxConfig(
  dir: string,
  ports: { grpc: number; stream: number },
  upstreams: { grpc: number; sink: number },
  streamModule: string | undefined,
): string {
  return `${streamModule === undefined ? '' : `load_module ${streamModule};\n`}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  client_body_temp_path ${dir}/client;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream grpc_echo { server 127.0.0.1:${upstreams.grpc}; keepalive 64; }
  server {
    listen 127.0.0.1:${ports.grpc} http2;
    location / { grpc_pass grpc://grpc_echo; }
  }
}
stream {
  server {
    listen 127.0.0.1:${ports.stream};
    proxy_pass 127.0.0.1:${upstreams.sink};
    # The sink answers its count after the client half-closes (nginx 1.21.4+).
    proxy_half_close on;
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * nginx (`binary`) with one worker, pinned to the target CPU; `streamModule` is the module to load
 * (undefined when the binary has the stream module built in).
 */
export async function startNginxTarget(
  binary: string,
  upstreams: { grpc: number; sink: number },
  streamModule: string | undefined,
): Promise<NginxTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-bench-nginx-protocols-'));
  const ports = { grpc: await freePort(), stream: await freePort() };
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, ports, upstreams, streamModule));
  const child = spawn(binary, ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  const dispose = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if ((await accepts(ports.grpc)) && (await accepts(ports.stream))) {
      await pinTree(child.pid!, TARGET_CPU);
      return { grpcPort: ports.grpc, streamPort: ports.stream, child, [Symbol.asyncDispose]: dispose };
    }
    await sleep(50);
  }
  const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  await dispose();
  throw new Error(`nginx (grpc_pass, stream) did not start: ${log.trim()}`);
}
