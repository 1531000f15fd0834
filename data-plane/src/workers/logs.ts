/**
 * A proxy worker's log files: `proxy_access_log` (through the proxy's RequestObserver, in
 * `proxy_access_log_format`) and `proxy_error_log` (warnings and errors, pino JSON). Each worker
 * opens them itself, in append mode; the main process asks every worker to reopen them
 * (`reopen-logs`) on SIGUSR1 and reload.
 */

import type { Logger, Stoppable } from '@turnpike/shared';
import { type LogWriter, openLog } from '@turnpike/shared/access-log';
import { ProxyAccessLog } from '../observability/index.ts';
import type { RequestObserver } from '../proxy/index.ts';
import type { WorkerLogSettings } from './protocol.ts';

export interface WorkerLogs extends Stoppable {
  /** The access log as the proxy's observer; undefined with `proxy_access_log = off`. */
  readonly observer: RequestObserver | undefined;
  /** The error log's writer, for the worker's logger; undefined with `off` or when it is stdout. */
  readonly error: LogWriter | undefined;
  /** Where the writers report their own failures, once the worker's logger exists. */
  reportTo(log: Logger): void;
  reopen(): void;
}

export function openWorkerLogs(settings: WorkerLogSettings): WorkerLogs {
  const options: { log?: Logger } = {};
  const access = openLog(settings.accessLog, settings.prefix, options);
  // stdout already gets every line.
  const error =
    settings.errorLog.trim() === '/dev/stdout'
      ? undefined
      : openLog(settings.errorLog, settings.prefix, options);
  const writers = [access, error].filter((w): w is LogWriter => w !== undefined);
  return {
    name: 'log files',
    observer: access === undefined ? undefined : new ProxyAccessLog(access, settings.accessLogFormat),
    error,
    reportTo(logger: Logger) {
      options.log = logger;
    },
    reopen() {
      for (const writer of writers) writer.reopen();
    },
    async stop() {
      await Promise.all(writers.map((writer) => writer.close()));
    },
  };
}
