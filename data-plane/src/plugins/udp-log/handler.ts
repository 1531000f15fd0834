/**
 * udp-log (Kong 3.10 kong/plugins/udp-log/handler.lua): priority 8, the log phase only. Each
 * request's record (`ctx.serialize()`) is sent as one JSON datagram to `host:port`. One unbound
 * socket per address family and worker sends them all (Kong opens one per entry); the request never
 * waits. A send that has not completed within `timeout` ms (a slow name lookup, say) is logged as
 * Kong logs a failed send ("could not send data to host:port: …"), and so is a record too large
 * for a datagram. Sends in flight are bounded (MAX_IN_FLIGHT): past it, entries are dropped and
 * counted (`turnpike_log_entries_dropped{plugin="udp-log"}`). A stream session (`streamLog`) sends
 * its stream record the same way.
 */
import { countLogDrops, definePluginHandler, type Logger, udpSocketFor } from '@turnpike/plugin-sdk';
import type { UdpLogConfig } from './schema.ts';

export const MAX_IN_FLIGHT = 10_000;

let inFlight = 0;
let dropWarned = false;

function drop(log: Logger): void {
  countLogDrops('udp-log', 1);
  if (dropWarned) return;
  dropWarned = true;
  log.warn(`too many udp-log sends in flight (${MAX_IN_FLIGHT}): dropping entries`);
  setTimeout(() => {
    dropWarned = false;
  }, 10_000).unref();
}

function send(config: UdpLogConfig, message: string, log: Logger): void {
  if (inFlight >= MAX_IN_FLIGHT) {
    drop(log);
    return;
  }
  const where = `${config.host}:${config.port}`;
  let done = false;
  const finish = (err: Error | null | undefined): void => {
    if (done) return;
    done = true;
    inFlight--;
    clearTimeout(timer);
    if (err) log.error({ err }, `could not send data to ${where}: ${err.message}`);
  };
  const timer = setTimeout(() => finish(new Error('timeout')), config.timeout).unref();
  inFlight++;
  try {
    udpSocketFor(config.host, log).send(message, config.port, config.host, finish);
  } catch (err) {
    finish(err as Error);
  }
}

/** A request's record (log) or a session's (streamLog), one datagram. */
function sendRecord(ctx: { serialize(): object; readonly log: Logger }, config: UdpLogConfig): void {
  send(config, JSON.stringify(ctx.serialize()), ctx.log);
}

export const handler = definePluginHandler<UdpLogConfig>({
  name: 'udp-log',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 8,
  sdkVersion: '1.3.0',
  log: sendRecord,
  streamLog: sendRecord,
});
