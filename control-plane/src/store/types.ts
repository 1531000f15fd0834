import type { DatastoreTarget as ConfiguredDatastore } from '@turnpike/shared/config';
import type { DatastoreHealth } from './health.ts';

/** What one statement returns, the same for PostgreSQL and PGlite. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Anything that runs SQL with $1-style parameters: the datastore itself or a transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export interface ListenOptions {
  /**
   * Called after the LISTEN connection was lost and re-established: notifications sent
   * meanwhile are lost, so the caller re-reads whatever state it follows.
   */
  onReconnect?: () => void;
}

/** One connection held for the whole callback: session state (advisory locks) stays on it. */
export interface Session extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

export interface Datastore {
  readonly kind: 'postgres' | 'embedded';
  /**
   * Whether the database answers now. While it does not, every call fails at once with
   * DatabaseUnavailableError; it recovers by itself once the database is back.
   */
  readonly health: DatastoreHealth;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Runs fn in BEGIN…COMMIT on one connection; a throw rolls back and rethrows. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs fn with a dedicated connection (for pg_advisory_lock and the like), released after. */
  session<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  /** Resolves once LISTEN is in place; the returned function stops listening. */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    options?: ListenOptions,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

type ConfiguredTarget = Exclude<ConfiguredDatastore, { readonly kind: 'off' }>;
type ConfiguredPostgres = Extract<ConfiguredTarget, { readonly kind: 'postgres' }>;

/**
 * Where the data lives: the configuration's target (shared/src/config/datastore.ts) as is, or a
 * PostgreSQL target built by hand (tests) with only the connection string; the rest defaults.
 */
export type DatastoreTarget =
  | Exclude<ConfiguredTarget, ConfiguredPostgres>
  | (Pick<ConfiguredPostgres, 'kind' | 'connectionString'> &
      Partial<Omit<ConfiguredPostgres, 'kind' | 'connectionString'>>);
