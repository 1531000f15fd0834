/**
 * statsd (Kong 3.10 kong/plugins/statsd/handler.lua, log.lua): priority 11, the log phase only.
 * A request whose status `allow_status_codes` allows becomes its StatsD lines (./metrics.ts, from
 * the log serializer's record), queued (the SDK's `LogQueue`, Kong's kong.tools.queue with the
 * `queue` parameters and the deprecated flat fields) and sent in batches (./sender.ts). One queue
 * per worker for each distinct configuration. The request never waits.
 */
import { hostname } from 'node:os';
import {
  countLogDrops,
  definePluginHandler,
  type Logger,
  LogQueue,
  pluginQueueParams,
  type QueueConfig,
} from '@turnpike/plugin-sdk';
import { statsdLines, statusAllowed } from './metrics.ts';
import type { StatsdConfig } from './schema.ts';
import { sendStatsd } from './sender.ts';

interface Compiled {
  readonly name: string;
  readonly queue: QueueConfig;
  readonly config: StatsdConfig;
  readonly warnings: readonly string[];
}

/** Kong's hostname for metric names: dots become underscores. */
const HOSTNAME = hostname().replaceAll('.', '_');
const queues = new Map<string, LogQueue>();

function countDrops(count: number): void {
  countLogDrops('statsd', count);
}

function queueFor(compiled: Compiled, log: Logger): LogQueue {
  let queue = queues.get(compiled.name);
  if (queue === undefined) {
    const send = (entries: readonly string[]) => sendStatsd(compiled.config, entries, log);
    queue = new LogQueue(compiled.name, compiled.queue, send, log, countDrops);
    for (const warning of compiled.warnings) log.warn({ queue: compiled.name }, warning);
    queues.set(compiled.name, queue);
  }
  return queue;
}

export const handler = definePluginHandler<StatsdConfig, Compiled>({
  name: 'statsd',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 11,
  sdkVersion: '1.1.0',
  configure(config) {
    const { queue, warnings } = pluginQueueParams(config);
    return { name: JSON.stringify(['statsd', config]), queue, config, warnings };
  },
  log(ctx, compiled) {
    const record = ctx.serialize();
    if (!statusAllowed(compiled.config.allow_status_codes, record.response.status)) return;
    const lines = statsdLines(record, compiled.config, HOSTNAME);
    if (lines.length > 0) queueFor(compiled, ctx.log).enqueue(lines.join('\n'));
  },
});
