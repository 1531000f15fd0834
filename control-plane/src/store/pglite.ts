import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import { DatabaseError } from '@turnpike/shared';
import { toDatabaseError } from './errors.ts';
import { ALWAYS_REACHABLE } from './health.ts';
import { Mutex } from './mutex.ts';
import { createMemoryPglite, PGLITE_START_PARAMS } from './pglite-template.ts';
import type { Datastore, Queryable, QueryResult, Session } from './types.ts';

/** Without parameters, several statements may run at once, as pg's simple query protocol allows. */
async function run<R>(
  target: Pick<PGlite, 'query' | 'exec'> | Pick<Transaction, 'query' | 'exec'>,
  sql: string,
  params: unknown[] | undefined,
): Promise<QueryResult<R>> {
  if (params !== undefined && params.length > 0) return toResult(await target.query<R>(sql, params));
  const results = await target.exec(sql);
  const last = results.at(-1) as Results<R> | undefined;
  return last === undefined ? { rows: [], rowCount: 0 } : toResult(last);
}

function toResult<R>(result: Results<R>): QueryResult<R> {
  // PGlite reports affectedRows only for INSERT/UPDATE/DELETE (0 otherwise); pg's rowCount
  // is the row count for a SELECT.
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}

const fail = (err: unknown, context?: string) => toDatabaseError(err, 'PGlite', context);

/** Errors thrown by the caller's own code pass through; PGlite's become DatabaseError. */
function failOrKeep(err: unknown): unknown {
  if (err instanceof DatabaseError) return err;
  const fromPostgres = typeof err === 'object' && err !== null && 'severity' in err;
  return fromPostgres ? fail(err) : err;
}

/** Two PGlite instances on one folder in one process would corrupt it. */
const openDirs = new Set<string>();

/**
 * Embedded PostgreSQL (PGlite, WebAssembly, in process): in memory when `dir` is undefined,
 * else persisted in that folder. It is a single connection: PGlite itself queues a
 * transaction against every other query and transaction, and sessions are queued here, so
 * concurrent callers see what they would see with a pool. A transaction callback must use
 * its `tx`: calling the datastore itself from inside waits forever.
 */
export async function openPglite(dir: string | undefined): Promise<Datastore> {
  const folder = dir === undefined ? undefined : resolve(dir);
  if (folder !== undefined) {
    if (openDirs.has(folder))
      throw new DatabaseError(`[PGlite error] ${folder} is already open in this process`);
    await mkdir(folder, { recursive: true });
    openDirs.add(folder);
  }
  let db: PGlite;
  try {
    db =
      folder === undefined
        ? await createMemoryPglite()
        : await PGlite.create(folder, { startParams: [...PGLITE_START_PARAMS] });
  } catch (err) {
    if (folder !== undefined) openDirs.delete(folder);
    throw fail(err, `could not open the embedded database${folder === undefined ? '' : ` in ${folder}`}`);
  }

  const sessions = new Mutex();

  const query = async <R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> => {
    try {
      return await run<R>(db, sql, params);
    } catch (err) {
      throw fail(err);
    }
  };

  const transaction = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    try {
      return await db.transaction(async (tx) => {
        let open = true;
        try {
          return await fn({
            async query<R>(sql: string, params?: unknown[]) {
              if (!open) throw new DatabaseError('transaction is already closed');
              try {
                return await run<R>(tx, sql, params);
              } catch (err) {
                throw fail(err);
              }
            },
          });
        } finally {
          open = false;
        }
      });
    } catch (err) {
      throw failOrKeep(err);
    }
  };

  return {
    kind: 'embedded',
    // In process: it cannot go away while the process runs.
    health: ALWAYS_REACHABLE,
    query,
    transaction,
    session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
      return sessions.run(() => fn({ query, transaction }));
    },
    async listen(channel, onPayload) {
      // One in-process connection cannot be lost, so there is never a reconnect to report.
      try {
        const unlisten = await db.listen(channel, onPayload);
        return async () => {
          if (!db.closed) await unlisten();
        };
      } catch (err) {
        throw fail(err, `could not LISTEN on ${channel}`);
      }
    },
    async close() {
      try {
        if (!db.closed) await db.close();
      } finally {
        if (folder !== undefined) openDirs.delete(folder);
      }
    },
  };
}
