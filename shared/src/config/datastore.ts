import { ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { parseDsn } from './dsn.ts';
import type { ConfigKey, ConfigSources, TurnpikeConfig } from './schema.ts';

export type PostgresSsl = false | { readonly rejectUnauthorized: boolean };

/** Which database a node uses, decided from `role`, `database`, `dsn` and the `pg_*` keys. */
export type DatastoreTarget =
  /** Embedded PGlite, in memory: gone when the process exits. */
  | { readonly kind: 'memory' }
  /** Embedded PGlite persisted in `dir` (absolute once loaded by loadConfig). */
  | { readonly kind: 'pglite'; readonly dir: string }
  | {
      readonly kind: 'postgres';
      /** Holds the password: never log it. TLS is in `ssl`, not in the string (sslmode is removed). */
      readonly connectionString: string;
      readonly ssl: PostgresSsl;
      readonly schema: string | undefined;
      readonly timeoutMs: number;
      readonly poolSize: number;
      /** 0 = unlimited. */
      readonly maxConcurrentQueries: number;
    }
  /** DB-less: a data plane, or `database = off` with declarative_config. */
  | { readonly kind: 'off' };

/** The pg_* keys that say where to connect: they and a dsn cannot both be given. */
const PG_CONNECTION_KEYS = ['pg_host', 'pg_port', 'pg_user', 'pg_password', 'pg_database'] as const;
const PG_KEYS = [
  ...PG_CONNECTION_KEYS,
  'pg_schema',
  'pg_timeout',
  'pg_ssl',
  'pg_ssl_verify',
  'pg_max_concurrent_queries',
  'pg_pool_size',
] as const satisfies readonly ConfigKey[];

/**
 * The datastore this config asks for: `dsn` wins when set; `database = postgres` without a dsn
 * builds a URL from the pg_* keys; `database = off` and `role = data_plane` mean no database;
 * otherwise embedded in memory. Throws ConfigInvalidError on contradictions.
 * Pass `sources` (from loadConfig) to also catch keys that were set explicitly but are ignored.
 */
export function resolveDatastore(config: TurnpikeConfig, sources?: ConfigSources): DatastoreTarget {
  const decision = decideDatastore(config, sources);
  if (decision.problems.length > 0) throw new ConfigInvalidError(decision.problems);
  return decision.target;
}

export function decideDatastore(
  config: TurnpikeConfig,
  sources?: ConfigSources,
): { target: DatastoreTarget; problems: ConfigProblem[] } {
  const source = (key: ConfigKey): string => sources?.[key] ?? 'config';
  const explicit = (key: ConfigKey): boolean => sources !== undefined && sources[key] !== 'default';
  const problem = (key: ConfigKey, message: string): ConfigProblem => ({ key, source: source(key), message });
  const problems: ConfigProblem[] = [];
  const databaseExplicit = config.database !== 'embedded' || explicit('database');

  if (config.role === 'data_plane') {
    const why = `cannot be set when role = data_plane (from ${source('role')}): a data plane never touches the database`;
    if (databaseExplicit && config.database !== 'off')
      problems.push(problem('database', `${why}; use database = off`));
    if (config.dsn !== undefined) problems.push(problem('dsn', why));
    for (const key of PG_KEYS) if (explicit(key)) problems.push(problem(key, why));
    if (config.run_migrations) problems.push(problem('run_migrations', why));
    return { target: { kind: 'off' }, problems };
  }

  if (config.dsn !== undefined) {
    const dsn = parseDsn(config.dsn);
    if (!dsn.ok)
      return { target: { kind: 'off' }, problems: [problem('dsn', 'invalid value (hidden: secret)')] };
    const named = `database = ${config.database} (from ${source('database')})`;
    if (config.database === 'off') {
      problems.push(problem('dsn', `contradicts ${named}: a node without a database takes no dsn`));
    } else if (databaseExplicit && config.database === 'postgres' && dsn.value.kind !== 'postgres') {
      problems.push(problem('dsn', `contradicts ${named}: this dsn names an embedded database`));
    } else if (databaseExplicit && config.database === 'embedded' && dsn.value.kind === 'postgres') {
      problems.push(problem('dsn', `contradicts ${named}: this dsn names a postgres server`));
    }
    for (const key of PG_CONNECTION_KEYS) {
      if (explicit(key)) {
        problems.push(
          problem(key, `cannot be combined with dsn (from ${source('dsn')}): put it in the dsn instead`),
        );
      }
    }
    if (dsn.value.kind === 'memory') return { target: { kind: 'memory' }, problems };
    if (dsn.value.kind === 'pglite') return { target: { kind: 'pglite', dir: dsn.value.dir }, problems };
    return { target: postgresFromUrl(dsn.value.url, config), problems };
  }

  if (config.database === 'off') return { target: { kind: 'off' }, problems };
  if (config.database === 'postgres') return { target: postgresFromKeys(config), problems };
  return { target: { kind: 'memory' }, problems };
}

function postgresFromKeys(config: TurnpikeConfig): DatastoreTarget {
  const host = config.pg_host.includes(':') ? `[${config.pg_host}]` : config.pg_host;
  const password = config.pg_password === undefined ? '' : `:${encodeURIComponent(config.pg_password)}`;
  const userinfo = `${encodeURIComponent(config.pg_user)}${password}`;
  const connectionString = `postgres://${userinfo}@${host}:${config.pg_port}/${encodeURIComponent(config.pg_database)}`;
  return postgresTarget(connectionString, sslFromKeys(config), config);
}

/** libpq's sslmode in the URL decides TLS when present; otherwise pg_ssl and pg_ssl_verify do. */
function postgresFromUrl(url: URL, config: TurnpikeConfig): DatastoreTarget {
  const copy = new URL(url.href);
  const sslmode = copy.searchParams.get('sslmode');
  copy.searchParams.delete('sslmode');
  let ssl: PostgresSsl = sslFromKeys(config);
  if (sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer') ssl = false;
  else if (sslmode === 'require') ssl = { rejectUnauthorized: false };
  else if (sslmode === 'verify-ca' || sslmode === 'verify-full') ssl = { rejectUnauthorized: true };
  return postgresTarget(copy.href, ssl, config);
}

function sslFromKeys(config: TurnpikeConfig): PostgresSsl {
  return config.pg_ssl ? { rejectUnauthorized: config.pg_ssl_verify } : false;
}

function postgresTarget(connectionString: string, ssl: PostgresSsl, config: TurnpikeConfig): DatastoreTarget {
  return {
    kind: 'postgres',
    connectionString,
    ssl,
    schema: config.pg_schema,
    timeoutMs: config.pg_timeout,
    poolSize: config.pg_pool_size,
    maxConcurrentQueries: config.pg_max_concurrent_queries,
  };
}
