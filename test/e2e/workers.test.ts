/**
 * worker_processes: the main process holds the sync stream and forks proxy workers that share the
 * listeners. Which worker proxied a request is seen from the upstream's side: the connection it
 * received belongs to one worker process (Linux /proc), as no response header names the worker.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { type RunningTurnpike, runTurnpike, startTurnpike } from '../helpers/turnpike.ts';

interface WorkerStatus {
  slot: number;
  pid: number;
  state: string;
  config_version: number;
  restarts: number;
}

interface DataPlaneStatus {
  config_version: number;
  workers: WorkerStatus[];
}

/** An upstream that answers with the client port of the connection it got, after `delayMs`. */
async function startPortEcho(delayMs = 0) {
  const arrivals: (() => void)[] = [];
  const server = createServer((req, res) => {
    for (const arrived of arrivals.splice(0)) arrived();
    req.resume();
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ port: req.socket.remotePort }));
    }, delayMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Resolves when the next request arrives. */
    nextArrival: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A GET on a connection of its own (no keep-alive), so the cluster hands each one to a worker in turn. */
function freshGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The process, among `pids`, that holds the TCP connection whose local port is `port`. */
async function ownerOf(port: number, pids: readonly number[]): Promise<number | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[9] === undefined) continue;
      if (Number.parseInt(local.split(':')[1] ?? '', 16) === port) inodes.add(fields[9]);
    }
  }
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) return pid;
    }
  }
  return undefined;
}

describe('worker_processes = 2 in the traditional role', {
  skip: process.platform !== 'linux' && 'reads /proc',
}, () => {
  let node: RunningTurnpike;
  let upstream: Awaited<ReturnType<typeof startPortEcho>>;
  let slow: Awaited<ReturnType<typeof startPortEcho>>;
  let adminUrl: string;
  let proxyUrl: string;
  let statusUrl: string;

  const dataPlane = async (): Promise<DataPlaneStatus> =>
    ((await http('GET', `${statusUrl}/status`)).body as { data_plane: DataPlaneStatus }).data_plane;

  /** Requests on new connections until each of `pids` has proxied one; returns who served. */
  const servedBy = async (pids: readonly number[]): Promise<Set<number>> => {
    const seen = new Set<number>();
    for (let i = 0; i < 100 && !pids.every((pid) => seen.has(pid)); i++) {
      const res = await freshGet(`${proxyUrl}/echo`);
      assert.equal(res.status, 200, res.body);
      const owner = await ownerOf((JSON.parse(res.body) as { port: number }).port, pids);
      if (owner !== undefined) seen.add(owner);
    }
    return seen;
  };

  before(async () => {
    upstream = await startPortEcho();
    slow = await startPortEcho(1000);
    const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()];
    adminUrl = `http://127.0.0.1:${admin}`;
    proxyUrl = `http://127.0.0.1:${proxy}`;
    statusUrl = `http://127.0.0.1:${status}`;
    node = await startTurnpike({
      env: {
        TURNPIKE_WORKER_PROCESSES: '2',
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      },
    });
    for (const [name, url] of [
      ['echo', upstream.url],
      ['slow', slow.url],
    ] as const) {
      const service = await http('POST', `${adminUrl}/services`, { name, url });
      assert.equal(service.status, 201, service.text);
      const route = await http('POST', `${adminUrl}/services/${name}/routes`, { name, paths: [`/${name}`] });
      assert.equal(route.status, 201, route.text);
    }
    // Both routes have reached the data plane (and so every worker: apply waits for all of them).
    for (const path of ['/echo', '/slow']) {
      await eventually(
        () => freshGet(`${proxyUrl}${path}`),
        (r) => r.status === 200,
      );
    }
  });

  after(async () => {
    await node?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
    await slow?.[Symbol.asyncDispose]();
  });

  test('a route created through the Admin API is served by both workers, which /status lists', async () => {
    const status = await eventually(dataPlane, (dp) =>
      dp.workers.every(
        (w) => w.state === 'running' && w.config_version === dp.config_version && dp.config_version > 0,
      ),
    );
    assert.deepEqual(
      status.workers.map((w) => w.slot),
      [1, 2],
    );
    assert.equal(new Set(status.workers.map((w) => w.pid)).size, 2);
    assert.ok(
      !status.workers.some((w) => w.pid === node.child.pid),
      'the workers are processes of their own',
    );
    assert.equal((await http('GET', `${statusUrl}/status/ready`)).status, 200);

    const pids = status.workers.map((w) => w.pid);
    const seen = await servedBy(pids);
    assert.deepEqual([...seen].sort(), [...pids].sort(), 'each worker proxied requests');
  });

  test('a killed worker is restarted in its slot and serves the current configuration', async () => {
    const before = await dataPlane();
    const victim = before.workers[0]!;
    process.kill(victim.pid);
    const exitLine = await node.waitForLog((l) => l.worker_pid === victim.pid && l.level === 50);
    assert.equal(exitLine.msg, 'worker process was killed by SIGTERM; restarting it');
    assert.equal(exitLine.signal, 'SIGTERM');

    const after = await eventually(dataPlane, (dp) => {
      const slot = dp.workers[0];
      return (
        slot !== undefined &&
        slot.pid !== victim.pid &&
        slot.state === 'running' &&
        slot.config_version === dp.config_version
      );
    });
    assert.equal(after.config_version, before.config_version);
    assert.equal(after.workers[0]?.restarts, 1);
    assert.equal((await http('GET', `${statusUrl}/status/ready`)).status, 200);
    const replacement = after.workers[0]!.pid;
    const seen = await servedBy([replacement]);
    assert.ok(
      seen.has(replacement),
      'the restarted worker proxies the route it was never sent by the Admin API',
    );
  });

  test('`turnpike quit` lets an in-flight slow request finish before the node exits', async () => {
    const arrived = slow.nextArrival();
    const inFlight = freshGet(`${proxyUrl}/slow/during-quit`);
    await arrived;
    const quitStarted = Date.now();
    const quit = runTurnpike(['quit', '--timeout', '20'], node.env);
    const answer = await inFlight;
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.body, /"port":\d+/);
    const result = await quit;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await node.exited, 0);
    assert.ok(Date.now() - quitStarted >= 500, 'the node waited for the slow answer');
    assert.ok(
      node.lines.some((l) => l.msg === 'stopping' && l.mode === 'drain' && typeof l.worker === 'number'),
    );
    // The worker's access log was still open while it drained: the slow request has its line.
    const accessLog = await readFile(`${node.prefix}/logs/access.log`, 'utf8');
    assert.match(accessLog, /"GET \/slow\/during-quit HTTP\/1\.1" 200 /);
  });
});
