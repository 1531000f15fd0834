/**
 * The logger a plugin gets (`ctx.log`): pino's calling convention — fields first, then a short
 * message — without pino's types, so that the published SDK depends on nothing. A node passes a
 * pino logger bound to the plugin's name; the test harness one that records the lines.
 */

/** `log.info({ fields }, 'short event')`, or `log.info('short event')`. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}
