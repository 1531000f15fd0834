/**
 * syslog (Kong 3.10 kong/plugins/syslog/handler.lua): priority 4, the log phase only. Each
 * request's record (`ctx.serialize()`) is sent as JSON to the local syslog (./sender.ts) with the
 * facility and the severity its status selects, when `log_level` lets it through (./priority.ts).
 * The request never waits. A stream session (`streamLog`) is sent with the severity of its
 * `session.status` (Kong's handler fails on stream records: ../README.md).
 */
import { definePluginHandler, type Logger } from '@turnpike/plugin-sdk';
import { syslogPriority } from './priority.ts';
import type { SyslogConfig } from './schema.ts';
import { sendToSyslog } from './sender.ts';

function send(conf: SyslogConfig, record: object, status: number, log: Logger): void {
  const priority = syslogPriority(conf, status);
  if (priority !== undefined) sendToSyslog(priority, JSON.stringify(record), log);
}

export const handler = definePluginHandler<SyslogConfig>({
  name: 'syslog',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 4,
  sdkVersion: '1.3.0',
  log(ctx, conf) {
    const record = ctx.serialize();
    send(conf, record, record.response.status, ctx.log);
  },
  // Kong's syslog fails on a stream record (it reads response.status): the session's status instead.
  streamLog(ctx, conf) {
    const record = ctx.serialize();
    send(conf, record, record.session.status, ctx.log);
  },
});
