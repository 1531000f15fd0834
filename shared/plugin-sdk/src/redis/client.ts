/**
 * Redis connections for plugins (`@turnpike/plugin-sdk/redis`), over ioredis: one connection per
 * distinct `config.redis` (host, port, database, credentials, TLS) per process, shared by every
 * plugin instance that names the same server, as Kong's cosocket pool keys connections by
 * host:port;database. Kong's semantics:
 *
 * - `timeout` bounds connecting and every command (Kong's red:set_timeout): a command waiting for
 *   an unreachable server rejects after it, so a caller can apply `fault_tolerant`;
 * - `username` + `password` send AUTH with both (Redis 6 ACL), `password` alone AUTH with it;
 *   `database` other than 0 a SELECT;
 * - `ssl` connects over TLS, `ssl_verify` checks the server's certificate against the system CAs
 *   (Node's store, where Kong uses lua_ssl_trusted_certificate), `server_name` is the SNI.
 *
 * The connection reconnects on its own (backoff up to 2 s); errors are logged at most once every
 * 10 s per connection and never thrown outside a command. Needs `ioredis` installed (the node has it).
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { REDIS_DEFAULT_TIMEOUT, type RedisConnectionConfig } from './schema.ts';

export type { RedisConnectionConfig } from './schema.ts';
export { REDIS_DEFAULT_TIMEOUT, redisConfigField, redisShorthandFields } from './schema.ts';

/** The commands plugins use, typed without ioredis's types (the SDK's declarations depend on nothing). */
export interface RedisConnection {
  /** EVAL (EVALSHA once loaded) of `script` over `keys` and `args`. */
  evalScript(
    script: RedisScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>;
  /** Sends any command; the reply as the server gave it. */
  command(name: string, ...args: (string | number)[]): Promise<unknown>;
  /** True while connected and ready. */
  readonly ready: boolean;
}

/** A Lua script, loaded once per connection and run by its SHA1 afterwards. */
export interface RedisScript {
  readonly name: string;
  readonly lua: string;
}

const ERROR_LOG_EVERY_MS = 10_000;

/** ioredis, loaded on the first connection: a node whose plugins use no Redis never loads it. */
let RedisClass: typeof Redis | undefined;
function redisClass(): typeof Redis {
  RedisClass ??= (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
  return RedisClass;
}

interface Entry {
  readonly redis: Redis;
  readonly connection: RedisConnection;
  readonly defined: Set<string>;
}

type ScriptFn = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

function keyOf(conf: RedisConnectionConfig): string {
  return JSON.stringify([
    conf.host ?? null,
    conf.port ?? 6379,
    conf.database ?? 0,
    conf.username ?? null,
    conf.password ?? null,
    conf.timeout ?? REDIS_DEFAULT_TIMEOUT,
    conf.ssl === true,
    conf.ssl_verify === true,
    conf.server_name ?? null,
  ]);
}

function open(conf: RedisConnectionConfig, log: Logger | undefined): Entry {
  const timeout = conf.timeout ?? REDIS_DEFAULT_TIMEOUT;
  const password = conf.password === '' ? undefined : (conf.password ?? undefined);
  const redis = new (redisClass())({
    host: conf.host ?? '127.0.0.1',
    port: conf.port ?? 6379,
    db: conf.database ?? 0,
    ...(password === undefined ? {} : { password }),
    ...(password !== undefined && conf.username ? { username: conf.username } : {}),
    ...(conf.ssl === true
      ? {
          tls: {
            rejectUnauthorized: conf.ssl_verify === true,
            ...(conf.server_name ? { servername: conf.server_name } : {}),
          },
        }
      : {}),
    connectTimeout: Math.max(1, timeout),
    commandTimeout: Math.max(1, timeout),
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  });
  let lastLog = 0;
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLog < ERROR_LOG_EVERY_MS) return;
    lastLog = now;
    log?.error({ err: err.message, host: conf.host, port: conf.port ?? 6379 }, 'redis connection error');
  });
  const defined = new Set<string>();
  const connection: RedisConnection = {
    evalScript(script, keys, args) {
      if (!defined.has(script.name)) {
        redis.defineCommand(script.name, { lua: script.lua });
        defined.add(script.name);
      }
      const fn = (redis as unknown as Record<string, ScriptFn>)[script.name]!;
      return fn.call(redis, keys.length, ...keys, ...args);
    },
    command(name, ...args) {
      return redis.call(name, ...args);
    },
    get ready() {
      return redis.status === 'ready';
    },
  };
  return { redis, connection, defined };
}

/** The connections of one process (or of one test): `close` ends them all. */
export class RedisConnections {
  readonly #entries = new Map<string, Entry>();

  /**
   * The shared connection for `conf`, opened (lazily, on its first command) when new; `log`
   * (the first caller's) receives its connection errors.
   */
  get(conf: RedisConnectionConfig, log?: Logger): RedisConnection {
    const key = keyOf(conf);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = open(conf, log);
      this.#entries.set(key, entry);
    }
    return entry.connection;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Ends every connection (pending commands reject). */
  close(): void {
    for (const entry of this.#entries.values()) entry.redis.disconnect(false);
    this.#entries.clear();
  }
}

let shared: RedisConnections | undefined;

/** The process's connections, shared by every plugin (created on first use). */
export function sharedRedisConnections(): RedisConnections {
  shared ??= new RedisConnections();
  return shared;
}

/** Ends the process's shared connections (a test's teardown; a node ends with its process). */
export function closeSharedRedisConnections(): void {
  shared?.close();
  shared = undefined;
}
