import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, at the top level or one object deep. */
export const SECRET_KEYS = [
  'pg_password',
  'pg_ro_password',
  'secrets_default',
  'admin_token',
  'cluster_cert_key',
  'ssl_cert_key',
  'admin_ssl_cert_key',
  'admin_gui_ssl_cert_key',
  'declarative_config_string',
  'password',
  'dsn',
  'authorization',
  'apikey',
  'secret',
  'private_key',
] as const;

const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  'req.headers.authorization',
  'req.headers["kong-admin-token"]',
  'req.headers.cookie',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** Component name added to every line: control-plane, data-plane, cli… */
  name?: string;
  /** Where lines go; default stdout. Pretty-printed only when stdout is a terminal. */
  destination?: DestinationStream;
  pretty?: boolean;
  /**
   * Where warnings and errors also go (Kong's `*_error_log`): every line at `warn` or above is
   * written there too, as the same JSON. Not with `pretty` (a terminal sees every line anyway).
   */
  errorLog?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const base = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid, ...(options.name === undefined ? {} : { name: options.name }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  if (options.errorLog === undefined) return pino(base, destination);
  return pino(
    base,
    pino.multistream([
      { level: 'trace', stream: destination },
      { level: 'warn', stream: options.errorLog },
    ]),
  );
}
