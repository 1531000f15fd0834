/**
 * syslog (Kong 3.10 kong/plugins/syslog/handler.lua): priority 4, the log phase only. Each
 * request's record (`ctx.serialize()`) is sent as JSON to the local syslog (./sender.ts) with the
 * facility and the severity its status selects, when `log_level` lets it through (./priority.ts).
 * The request never waits.
 */
import { definePluginHandler } from '@turnpike/plugin-sdk';
import { syslogPriority } from './priority.ts';
import type { SyslogConfig } from './schema.ts';
import { sendToSyslog } from './sender.ts';

export const handler = definePluginHandler<SyslogConfig>({
  name: 'syslog',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 4,
  sdkVersion: '1.1.0',
  log(ctx, conf) {
    const record = ctx.serialize();
    const priority = syslogPriority(conf, record.response.status);
    if (priority !== undefined) sendToSyslog(priority, JSON.stringify(record), ctx.log);
  },
});
