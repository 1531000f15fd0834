/**
 * Which entries syslog sends, and at what priority (Kong 3.10 kong/plugins/syslog/handler.lua):
 * the severity follows the response status (≥ 500 server errors, ≥ 400 client errors, else
 * successful), and an entry is sent only when that severity is at least as urgent as `log_level`.
 * The priority is syslog(3)'s facility × 8 + severity.
 */
import type { SyslogConfig } from './schema.ts';

const SEVERITY: Readonly<Record<string, number>> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** syslog(3)'s facility codes (LOG_KERN 0 … LOG_LOCAL7 23). */
const FACILITY: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** The syslog priority of an entry with `status`, or undefined when `log_level` filters it out. */
export function syslogPriority(conf: SyslogConfig, status: number): number | undefined {
  const name =
    status >= 500
      ? conf.server_errors_severity
      : status >= 400
        ? conf.client_errors_severity
        : conf.successful_severity;
  const severity = SEVERITY[name] ?? 6;
  if (severity > (SEVERITY[conf.log_level] ?? 6)) return undefined;
  return (FACILITY[conf.facility] ?? 1) * 8 + severity;
}
