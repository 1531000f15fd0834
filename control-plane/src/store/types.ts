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

/**
 * Where the data lives. Mirrors shared/src/config/datastore.ts (less `off`), so the config
 * loader's target can be passed as is; the lead unifies the two definitions.
 */
export type DatastoreTarget =
  | { readonly kind: 'memory' }
  | { readonly kind: 'pglite'; readonly dir: string }
  | {
      readonly kind: 'postgres';
      /** Holds the password: never log it (redactDsn). */
      readonly connectionString: string;
      /** true: TLS with certificate verification; an object chooses. */
      readonly ssl?: boolean | { readonly rejectUnauthorized: boolean };
      readonly poolSize?: number;
      /** search_path for every connection (Kong's pg_schema). */
      readonly schema?: string | undefined;
      /** Connect timeout (Kong's pg_timeout). Queries themselves are not cut short. */
      readonly timeoutMs?: number;
    };
