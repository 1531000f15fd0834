import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/** A PostgreSQL server for one test file: `await using pg = await startPostgres()`. */
export interface TestPostgres extends AsyncDisposable {
  /** DSN of a fresh, empty database made for this helper. */
  readonly dsn: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The throwaway cluster this helper started; undefined when TURNPIKE_TEST_PG names a server. */
  readonly cluster: TestCluster | undefined;
  /** DSN of another fresh, empty database on the same server (dropped on dispose). */
  newDatabase(): Promise<string>;
}

/** pg_ctl's shutdown modes: smart waits for every session to end, fast ends them, immediate aborts. */
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

/** A throwaway cluster, which a test may stop and start again (same port, same data). */
export interface TestCluster {
  readonly dataDir: string;
  /** The postmaster's pid; a new one after each start. */
  readonly pid: number;
  readonly running: boolean;
  /**
   * `pg_ctl stop -m <mode>`: resolves once the postmaster is gone. A smart stop waits for every
   * client to disconnect, at most `timeoutSeconds` (then pg_ctl fails, the server keeps refusing
   * new connections and this rejects).
   */
  stop(mode: ShutdownMode, timeoutSeconds?: number): Promise<void>;
  /** `pg_ctl start` on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
}

/**
 * Starts PostgreSQL for a test. With TURNPIKE_TEST_PG (a superuser DSN) it only creates
 * databases in that server; otherwise it runs initdb + pg_ctl into a temp dir on a free
 * 127.0.0.1 port, and dispose stops it and removes the dir.
 */
export async function startPostgres(options: { readonly throwaway?: boolean } = {}): Promise<TestPostgres> {
  const external = process.env.TURNPIKE_TEST_PG;
  // `throwaway` ignores TURNPIKE_TEST_PG, so CI (which sets it) still tests the initdb path.
  if (options.throwaway !== true && external !== undefined && external !== '')
    return useExternalServer(external);
  return startCluster();
}

function uniqueName(): string {
  return `tp_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
}

function withDatabase(dsn: string, database: string): string {
  const url = new URL(dsn);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Creates databases on a server and drops them all at the end. Each call opens its own admin
 * connection: a test may stop and start the server in between.
 */
function databaseFactory(adminDsn: string) {
  const created: string[] = [];
  const withAdmin = async (fn: (admin: pg.Client) => Promise<void>) => {
    const admin = new pg.Client({ connectionString: adminDsn });
    // A server stopped under a test must not crash the test process through this connection.
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      await fn(admin);
    } finally {
      await admin.end();
    }
  };
  return {
    async create(): Promise<string> {
      const name = uniqueName();
      await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`).then(() => undefined));
      created.push(name);
      return name;
    },
    async dropAll(): Promise<void> {
      if (created.length === 0) return;
      // WITH (FORCE) (PostgreSQL 13+) ends sessions a test forgot to close.
      await withAdmin(async (admin) => {
        for (const name of created) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}

async function useExternalServer(adminDsn: string): Promise<TestPostgres> {
  const databases = databaseFactory(adminDsn);
  const database = await databases.create();
  const url = new URL(adminDsn);
  return {
    dsn: withDatabase(adminDsn, database),
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    database,
    cluster: undefined,
    newDatabase: async () => withDatabase(adminDsn, await databases.create()),
    [Symbol.asyncDispose]: () => databases.dropAll(),
  };
}

/** pg_config --bindir when it has initdb, else the newest /usr/lib/postgresql/<v>/bin. */
export async function findPostgresBinaries(): Promise<string> {
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    const dir = stdout.trim();
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  } catch {
    // pg_config is optional: fall through to the Debian layout.
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? await readdir(root) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  throw new Error(
    'PostgreSQL server binaries not found (no initdb via pg_config --bindir or /usr/lib/postgresql/*/bin): ' +
      'install the postgresql package, or set TURNPIKE_TEST_PG to a superuser DSN',
  );
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to the postgres user. */
function asClusterOwner(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', command, ...args]];
  return [command, args];
}

async function runAsOwner(command: string, args: string[], cwd: string): Promise<void> {
  const [file, argv] = asClusterOwner(command, args);
  await run(file, argv, { cwd });
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** True while the process exists and is not a zombie (a container's PID 1 may never reap it). */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (existsSync('/proc/self/stat')) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

async function startCluster(): Promise<TestPostgres> {
  const bin = await findPostgresBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const pgCtl = join(bin, 'pg_ctl');
  let pid: number | undefined;
  let port: number | undefined;
  let running = false;

  // If the test process dies without disposing, still leave nothing running behind it.
  const onExit = () => {
    if (pid !== undefined && isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const readPid = async () =>
    Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const awaitExit = async (postmaster: number) => {
    // The postmaster is not our child: no exit event to await, so poll its /proc entry briefly.
    for (let i = 0; i < 250 && isProcessAlive(postmaster); i++) await delay(20);
  };
  const stopServer = async (mode: ShutdownMode, timeoutSeconds = 30) => {
    if (pid === undefined || !running) return;
    const postmaster = pid;
    await runAsOwner(
      pgCtl,
      ['stop', '-D', dataDir, '-m', mode, '-w', '-t', String(timeoutSeconds), '-s'],
      dir,
    );
    await awaitExit(postmaster);
    running = false;
  };
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (pid !== undefined && running) {
      try {
        await stopServer('immediate');
      } catch {
        if (isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
        await awaitExit(pid);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresUserIds();
      await chown(dir, uid, gid);
    }
    // --no-sync and trust auth: a throwaway cluster needs neither durability nor passwords.
    await runAsOwner(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      dir,
    );
    port = await startOnFreePort(pgCtl, dataDir, dir, logFile);
    running = true;
    pid = await readPid();
    const adminDsn = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const databases = databaseFactory(adminDsn);
    const database = await databases.create();
    const serverPort = port;
    const cluster: TestCluster = {
      dataDir,
      get pid() {
        return pid ?? 0;
      },
      get running() {
        return running;
      },
      stop: stopServer,
      async start() {
        if (running) return;
        await runAsOwner(
          pgCtl,
          [
            'start',
            '-D',
            dataDir,
            '-l',
            logFile,
            '-w',
            '-t',
            '30',
            '-s',
            '-o',
            serverOptions(serverPort, dir),
          ],
          dir,
        );
        running = true;
        pid = await readPid();
      },
    };
    return {
      dsn: withDatabase(adminDsn, database),
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database,
      cluster,
      newDatabase: async () => withDatabase(adminDsn, await databases.create()),
      [Symbol.asyncDispose]: async () => {
        try {
          // The admin connection is gone when a test stopped the server: start it to drop the databases.
          if (!running) await cluster.start();
          await databases.dropAll();
        } finally {
          await stop();
        }
      },
    };
  } catch (err) {
    let log = '';
    try {
      log = await readFile(logFile, 'utf8');
    } catch {
      // no log yet: initdb failed before the server started
    }
    await stop();
    throw new Error(`could not start a test PostgreSQL cluster: ${(err as Error).message}\n${log}`, {
      cause: err,
    });
  }
}

function serverOptions(port: number, socketDir: string): string {
  return [
    '-c listen_addresses=127.0.0.1',
    `-c port=${port}`,
    `-c unix_socket_directories=${socketDir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
}

/** Another process may take the port between freePort() and the bind, so try a few. */
async function startOnFreePort(
  pgCtl: string,
  dataDir: string,
  dir: string,
  logFile: string,
): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const options = serverOptions(port, dir);
    try {
      await runAsOwner(
        pgCtl,
        ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '30', '-s', '-o', options],
        dir,
      );
      return port;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
