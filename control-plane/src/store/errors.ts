import { DatabaseError, DatabaseUnavailableError } from '@turnpike/shared';

/** The parts of a PostgreSQL error a caller may act on: never the SQL parameters. */
export interface PgErrorInfo {
  /** SQLSTATE, e.g. 23505 for a unique violation. */
  readonly sqlState: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;
  readonly detail?: string;
}

/** Replaces the password of a URL or key=value DSN, so the DSN can go into messages and logs. */
export function redactDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    if (url.password !== '') url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (key.toLowerCase() === 'password') url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return dsn.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1***');
  }
}

function isSqlState(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value);
}

function pick(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads the SQLSTATE and friends from a pg / PGlite error, or from a DatabaseError made by toDatabaseError. */
export function pgErrorInfo(err: unknown): PgErrorInfo | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const source = err as Record<string, unknown>;
  if (isSqlState(source.sqlState)) return source as unknown as PgErrorInfo;
  if (isSqlState(source.code)) {
    const info: { -readonly [K in keyof PgErrorInfo]: PgErrorInfo[K] } = { sqlState: source.code };
    for (const key of ['constraint', 'table', 'column', 'detail'] as const) {
      const value = pick(source, key);
      if (value !== undefined) info[key] = value;
    }
    return info;
  }
  return err instanceof DatabaseError ? pgErrorInfo(err.cause) : undefined;
}

/** The SQLSTATE of a database error, when there is one. */
export function sqlStateOf(err: unknown): string | undefined {
  return pgErrorInfo(err)?.sqlState;
}

export type StoreLabel = 'PostgreSQL' | 'PGlite';

/**
 * SQLSTATEs that say the server is out of reach rather than refusing a statement: class 08
 * (connection exception), 57P01-57P03 (terminated by an administrator, crash, starting up or
 * shutting down), 53300 (too many connections).
 */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;
/** What Node's sockets say when the server is not there. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg's and pg-pool's own words for a connection that died or never came. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|is not queryable/i;

/** True when `err` means the database cannot be reached now (so a retry later may succeed). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || UNAVAILABLE_ERRNOS.has(code)))
    return true;
  // AggregateError: a host name resolving to several addresses, every one refused.
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0 && errors.every(isUnavailable)) return true;
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isUnavailable(cause);
}

/**
 * Wraps what pg or PGlite threw into the catalogue's DatabaseError, Kong-style
 * (`[PostgreSQL error] …`), or DatabaseUnavailableError when the server is out of reach. The
 * cause keeps only SQLSTATE, constraint, table, column and detail: driver errors may carry the
 * query parameters, which can hold secrets.
 */
export function toDatabaseError(
  err: unknown,
  label: StoreLabel,
  context?: string,
  secret?: string,
): DatabaseError {
  if (err instanceof DatabaseError) return err;
  let message = err instanceof Error ? err.message : String(err);
  if (secret !== undefined && secret !== '') message = message.split(secret).join('***');
  const info = pgErrorInfo(err);
  const prefix = context === undefined ? '' : `${context}: `;
  const Kind = isUnavailable(err) ? DatabaseUnavailableError : DatabaseError;
  return new Kind(`[${label} error] ${prefix}${message}`, info === undefined ? {} : { cause: info });
}
