/**
 * file-log (Kong 3.10 kong/plugins/file-log/handler.lua): appends the request's serialized record
 * (`ctx.serialize()`, Kong's kong.log.serialize) as one JSON line to `path`, created 0644 when
 * missing. Writes go through one append stream per path, off the request's path (never awaited by
 * it); `reopen = true` closes and reopens the file for every line, as Kong does, so a rotated file
 * is picked up. A file that cannot be opened is logged (Kong's "failed to open the file"); the
 * request is never affected. On stream routes (`streamLog`), the session's stream record.
 */
import { definePluginHandler, type Logger } from '@turnpike/plugin-sdk';
import type { FileLogConfig } from './schema.ts';
import { appendLine } from './writer.ts';

/** A request's record (log) or a session's (streamLog), one JSON line. */
function write(ctx: { serialize(): object; readonly log: Logger }, conf: FileLogConfig): void {
  appendLine(conf.path, conf.reopen, `${JSON.stringify(ctx.serialize())}\n`, ctx.log);
}

export const handler = definePluginHandler<FileLogConfig>({
  name: 'file-log',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 9,
  sdkVersion: '1.3.0',
  log: write,
  // A stream session (an instance whose protocols list tcp, tls or udp): Kong's stream record.
  streamLog: write,
});
