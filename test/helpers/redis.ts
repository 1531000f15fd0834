import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisConnections } from '@turnpike/plugin-sdk/redis';
import { freePort } from './free-port.ts';

/** A throwaway redis-server (Debian's package) on 127.0.0.1, its files in a temp dir. */
export interface TestRedis extends AsyncDisposable {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** One command (tests peek at keys with it), through the SDK's Redis connection. */
  command(...args: string[]): Promise<unknown>;
  /** Stops the server (the port then refuses connections); `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface TestRedisOptions {
  /** `requirepass`: clients must AUTH. */
  readonly password?: string;
}

const REDIS_SERVER = process.env.TURNPIKE_TEST_REDIS_SERVER ?? 'redis-server';

/** PING over a fresh connection (AUTH first with a password): true on +PONG. */
function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(data.includes('+PONG')));
    socket.on('connect', () =>
      socket.write(`${password === undefined ? '' : `AUTH ${password}\r\n`}PING\r\n`),
    );
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('+PONG') || data.includes('-')) socket.end();
    });
  });
}

async function waitUntilUp(port: number, password: string | undefined, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await ping(port, password)) return;
    if (Date.now() > deadline) throw new Error('redis-server did not come up within 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    child.on('error', () => {});
    await waitUntilUp(port, options.password, child);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    c.kill('SIGTERM');
    if (c.exitCode === null) await once(c, 'exit');
  };
  await start();
  const connections = new RedisConnections();
  return {
    host: '127.0.0.1',
    port,
    command: (...args) => {
      const [name, ...rest] = args;
      return connections
        .get({ host: '127.0.0.1', port, password: options.password ?? null })
        .command(name!, ...rest);
    },
    stop,
    start,
    async [Symbol.asyncDispose]() {
      connections.close();
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
