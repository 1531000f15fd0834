import { DatabaseError, DatabaseUnavailableError, type Logger } from '@turnpike/shared';
import pg from 'pg';
import { isUnavailable, redactDsn, toDatabaseError } from './errors.ts';
import { DEFAULT_PROBE_TIMEOUT_MS, HealthMonitor } from './health.ts';
import { PgListener } from './pg-listener.ts';
import type { Datastore, DatastoreTarget, Queryable, QueryResult, Session } from './types.ts';

type PostgresTarget = Extract<DatastoreTarget, { kind: 'postgres' }>;

const MIN_SERVER_VERSION_NUM = 130000;
const INT8_OID = 20;

/**
 * bigint comes back as a number, as PGlite returns it, so both stores give the same rows.
 * Config versions and counts stay far below 2^53. Set per pool, not on pg's global registry.
 */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

function sslOption(ssl: PostgresTarget['ssl']): pg.ClientConfig['ssl'] {
  if (ssl === undefined || ssl === false) return undefined;
  return { rejectUnauthorized: ssl.rejectUnauthorized };
}

export function clientConfig(target: PostgresTarget): pg.ClientConfig {
  const config: pg.ClientConfig = {
    connectionString: target.connectionString,
    application_name: 'turnpike',
    types: typeParsers,
  };
  const ssl = sslOption(target.ssl);
  if (ssl !== undefined) config.ssl = ssl;
  if (target.timeoutMs !== undefined) config.connectionTimeoutMillis = target.timeoutMs;
  if (target.schema !== undefined && target.schema !== '') {
    config.options = `-c search_path=${target.schema.replaceAll(/[^\w$,]/g, '')}`;
  }
  return config;
}

/** Several statements without parameters (simple protocol) give one result each: keep the last. */
function toResult<R>(raw: pg.QueryResult | pg.QueryResult[]): QueryResult<R> {
  const result = Array.isArray(raw) ? raw.at(-1) : raw;
  if (result === undefined) return { rows: [], rowCount: 0 };
  return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
}

/** A Queryable bound to one client, unusable once its transaction or session is over. */
function boundQueryable(client: pg.PoolClient, what: string, fail: (err: unknown) => DatabaseError) {
  let open = true;
  const queryable: Queryable = {
    async query<R>(sql: string, params?: unknown[]) {
      if (!open) throw new DatabaseError(`${what} is already closed`);
      try {
        return toResult<R>(await client.query(sql, params));
      } catch (err) {
        throw fail(err);
      }
    },
  };
  return { queryable, end: () => (open = false) };
}

async function inTransaction<T>(
  client: pg.PoolClient,
  fn: (tx: Queryable) => Promise<T>,
  fail: (err: unknown) => DatabaseError,
): Promise<{ value: T } | { error: unknown; broken: boolean }> {
  const { queryable, end } = boundQueryable(client, 'transaction', fail);
  // The pool's clients pipeline (see openPostgres): BEGIN goes out with the transaction's first
  // statement instead of a round trip ahead of it. PostgreSQL runs them in order; BEGIN fails
  // only when the connection does, and then so does that statement.
  const begun = queryable.query('BEGIN');
  begun.catch(() => undefined);
  try {
    const value = await fn(queryable);
    await begun;
    // A COMMIT that meets a lost connection may or may not have committed: the caller gets 503.
    await queryable.query('COMMIT');
    return { value };
  } catch (error) {
    try {
      await client.query('ROLLBACK');
      return { error, broken: false };
    } catch {
      return { error, broken: true };
    }
  } finally {
    end();
  }
}

/**
 * Connections in the pool: pg_pool_size, capped by pg_max_concurrent_queries when set (Kong's
 * per-node limit on queries in flight: a query waits for a free connection, as for Kong's
 * semaphore, up to pg_timeout). LISTEN holds a connection of its own, outside the pool.
 */
function poolMax(target: PostgresTarget): number {
  const size = target.poolSize ?? 10;
  const limit = target.maxConcurrentQueries ?? 0;
  return limit > 0 ? Math.min(size, limit) : size;
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * A pg Client class whose instances listen for 'error' from construction to the end: pg-pool
 * only listens while a client is idle, so a connection lost while checked out (a transaction,
 * a session) would otherwise raise an unhandled 'error' event and end the process.
 */
function watchedClient(onError: (err: Error) => void): new (config?: string | pg.ClientConfig) => pg.Client {
  return class WatchedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', onError);
      // Every statement is its own socket write, and on loopback a write also pays for the
      // receiving side's TCP work: the statements issued in one turn of the event loop (BEGIN
      // with a transaction's first statement; a pipelined batch) go out in one write instead.
      // The cork is lifted on the next tick, so nothing waits past the code that issued it.
      let corked = false;
      const query = this.query as (...args: unknown[]) => unknown;
      this.query = ((...args: unknown[]) => {
        const stream = (this as unknown as { connection?: { stream?: Partial<Corkable> } }).connection
          ?.stream;
        if (!corked && stream?.cork !== undefined && stream.uncork !== undefined) {
          corked = true;
          stream.cork();
          process.nextTick(() => {
            corked = false;
            stream.uncork?.();
          });
        }
        return query.apply(this, args);
      }) as pg.Client['query'];
    }
  };
}

/**
 * Opens a pg Pool against PostgreSQL ≥ 13 and checks it answers before returning. A lost
 * database never ends the process: every connection has an error listener, every failure
 * becomes DatabaseUnavailableError (fast, without a connection attempt, while the health
 * monitor knows it is down), and everything reconnects once it is back.
 */
export async function openPostgres(target: PostgresTarget, log: Logger): Promise<Datastore> {
  const where = redactDsn(target.connectionString);
  const password = safePassword(target.connectionString);
  const config = clientConfig(target);
  const probeTimeout = target.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  // Assigned below, before any connection exists: the error paths only run after that.
  let health: HealthMonitor | undefined;
  const fail = (err: unknown, context?: string) => {
    const error = toDatabaseError(err, 'PostgreSQL', context, password);
    if (error instanceof DatabaseUnavailableError) health?.suspect();
    return error;
  };
  const Client = watchedClient((err) => {
    log.warn({ err: err.message, target: where }, 'PostgreSQL connection lost');
    health?.suspect();
  });
  // Pipelining: a query issued while another is in flight is sent at once, not after it (only
  // transactions rely on it, for BEGIN; everything else awaits each query, as without it).
  const pool = new pg.Pool({ ...config, max: poolMax(target), Client, pipeline: true });
  // pg-pool re-emits an idle client's error here; the client's own listener has logged it.
  pool.on('error', () => undefined);
  const listener = new PgListener(config, log, { Client, onLost: () => health?.suspect() });

  try {
    const { rows } = await pool.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const version = Number(rows[0]?.v);
    if (version < MIN_SERVER_VERSION_NUM) {
      throw new DatabaseError(
        `[PostgreSQL error] PostgreSQL ${Math.floor(version / 10000)} at ${where} is too old: Turnpike needs 13 or newer`,
      );
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw fail(err, `could not connect to ${where}`);
  }

  // The probe opens a connection of its own, as Kong's readiness does (kong.db:connect()): a
  // server that refuses new connections (shutting down, full) is not ready even while pooled
  // connections still work.
  const probeConfig = {
    ...config,
    application_name: 'turnpike-probe',
    connectionTimeoutMillis: probeTimeout,
  };
  const monitor = new HealthMonitor({
    probe: async () => {
      const client = new pg.Client(probeConfig);
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    log: log.child({ target: where }),
    timeoutMs: probeTimeout,
  });
  health = monitor;
  monitor.onChange((reachable) => {
    // Back: LISTEN at once rather than at the end of the listener's own backoff. Gone: let go of
    // the LISTEN connection, so that a smart shutdown, which waits for every session, can end.
    if (reachable) listener.reconnectNow();
    else listener.drop();
  });
  monitor.start();

  /** While the database is known to be down, fail at once rather than queue a connection attempt. */
  const ensureReachable = () => {
    if (!monitor.reachable)
      throw new DatabaseUnavailableError(
        `[PostgreSQL error] ${where} is unreachable: ${monitor.reason ?? ''}`,
      );
  };
  const connect = async () => {
    ensureReachable();
    try {
      return await pool.connect();
    } catch (err) {
      throw fail(err, `could not connect to ${where}`);
    }
  };

  return {
    kind: 'postgres',
    health: monitor,
    async query<R>(sql: string, params?: unknown[]) {
      ensureReachable();
      try {
        return toResult<R>(await pool.query(sql, params));
      } catch (err) {
        throw fail(err);
      }
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await connect();
      const outcome = await inTransaction(client, fn, fail);
      // A connection whose ROLLBACK failed is in an unknown state: destroy it, don't reuse it.
      client.release('error' in outcome && outcome.broken);
      if ('error' in outcome) throw failOrKeep(outcome.error, fail);
      return outcome.value;
    },
    async session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
      const client = await connect();
      const { queryable, end } = boundQueryable(client, 'session', fail);
      let failed = false;
      try {
        return await fn({
          query: queryable.query,
          async transaction<U>(inner: (tx: Queryable) => Promise<U>): Promise<U> {
            const outcome = await inTransaction(client, inner, fail);
            if ('error' in outcome) throw failOrKeep(outcome.error, fail);
            return outcome.value;
          },
        });
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        end();
        // After a failure the session may still hold advisory locks or an open transaction:
        // destroying the connection releases them all.
        client.release(failed);
      }
    },
    listen: (channel, onPayload, options) => listener.listen(channel, onPayload, options),
    async close() {
      monitor.stop();
      await listener.close();
      await monitor.settled();
      await pool.end();
    },
  };
}

/** Errors thrown by the caller's own code pass through; driver and connection errors become DatabaseError. */
function failOrKeep(err: unknown, fail: (err: unknown) => DatabaseError): unknown {
  if (err instanceof DatabaseError) return err;
  const looksLikeDriver = typeof err === 'object' && err !== null && ('severity' in err || 'routine' in err);
  return looksLikeDriver || isUnavailable(err) ? fail(err) : err;
}

function safePassword(dsn: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(dsn).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}
