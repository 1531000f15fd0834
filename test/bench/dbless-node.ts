/**
 * A DB-less traditional node for the memory and startup sections: `database = off` with a
 * kong.yml of N services, each with one route (`/r<i>`), to one upstream; 1 worker.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.ts';
import { type RunningTurnpike, startTurnpike } from '../helpers/turnpike.ts';

export interface DblessFile extends AsyncDisposable {
  readonly path: string;
  /** The path of the file's last route: once it answers 200, the whole file is served. */
  readonly lastRoute: string;
}

export async function writeDblessFile(routes: number, upstreamUrl: string): Promise<DblessFile> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-bench-dbless-'));
  const lines = ['_format_version: "3.0"', 'services:'];
  for (let i = 0; i < routes; i++) {
    lines.push(
      `  - name: s${i}`,
      `    url: ${upstreamUrl}`,
      '    routes:',
      `      - name: r${i}`,
      `        paths: [/r${i}]`,
    );
  }
  const path = join(dir, 'kong.yml');
  await writeFile(path, `${lines.join('\n')}\n`);
  return {
    path,
    lastRoute: `/r${routes - 1}`,
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface DblessNode {
  /** Resolves once the node logged "Turnpike started". */
  readonly started: Promise<RunningTurnpike>;
  readonly proxyUrl: string;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
}

/** Spawns the node as Kong's Docker docs run DB-less Kong (KONG_DATABASE=off, KONG_DECLARATIVE_CONFIG). */
export async function spawnDblessNode(file: string, prefix: string): Promise<DblessNode> {
  const [proxy, admin, status] = [await freePort(), await freePort(), await freePort()];
  const spawnedAt = performance.now();
  // With TURNPIKE_PREFIX given, startTurnpike spawns before its first await.
  const started = startTurnpike({
    env: {
      KONG_DATABASE: 'off',
      KONG_DECLARATIVE_CONFIG: file,
      TURNPIKE_WORKER_PROCESSES: '1',
      TURNPIKE_PREFIX: prefix,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
    },
  });
  return { started, proxyUrl: `http://127.0.0.1:${proxy}`, spawnedAt };
}
