/**
 * http-log (Kong 3.10 kong/plugins/http-log/handler.lua): each request's serialized record
 * (`ctx.serialize()`) is queued (`LogQueue` of the SDK, Kong's kong.tools.queue) and JSON-encoded
 * when its batch goes to `http_endpoint` (./sender.ts): an entry a full queue drops (a slow or
 * dead log server) costs no encoding. With `queue.max_bytes` set, the queue bounds encoded bytes,
 * so the record is encoded as it is queued. One queue per worker for each distinct endpoint configuration
 * (Kong's queue name: endpoint, method, content type, timeout, keepalive and the legacy fields), so
 * instances configured alike share it. The request never waits for delivery. A stream session
 * (`streamLog`) queues its stream record there too.
 */
import {
  countLogDrops,
  definePluginHandler,
  type Logger,
  LogQueue,
  LogQueues,
  pluginQueueParams,
  type QueueConfig,
} from '@turnpike/plugin-sdk';
import type { HttpLogConfig } from './schema.ts';
import { LogSender } from './sender.ts';

interface Compiled {
  readonly name: string;
  readonly queue: QueueConfig;
  readonly config: HttpLogConfig;
  readonly warnings: readonly string[];
}

/** A queued entry: the record (a request's or a stream session's), or its JSON when max_bytes bounds the queue. */
export type HttpLogEntry = object | string;

interface Running {
  readonly queue: LogQueue<HttpLogEntry>;
  readonly sender: LogSender;
  close(): void;
}

const queues = new LogQueues<Running>();

function countDrops(count: number): void {
  countLogDrops('http-log', count);
}

/** Kong's Queue.get_plugin_params for http-log. */
export function queueParams(config: HttpLogConfig): { queue: QueueConfig; warnings: string[] } {
  return pluginQueueParams(config);
}

function running(compiled: Compiled, log: Logger): Running {
  return queues.get(compiled.name, () => {
    const sender = new LogSender(compiled.config, compiled.queue.max_batch_size === 1);
    const queue = new LogQueue<HttpLogEntry>(compiled.name, compiled.queue, sender.send, log, countDrops);
    for (const warning of compiled.warnings) log.warn({ queue: compiled.name }, warning);
    return { queue, sender, close: () => sender.close() };
  });
}

/** Entries dropped by this worker's http-log queues (full queue, or out of retries). */
export function droppedEntries(): number {
  let total = 0;
  for (const { queue } of queues.values()) total += queue.dropped;
  return total;
}

/** A request's record (log) or a session's (streamLog), queued. */
function enqueue(ctx: { serialize(): object; readonly log: Logger }, compiled: Compiled): void {
  const record = ctx.serialize();
  running(compiled, ctx.log).queue.enqueue(
    compiled.queue.max_bytes === null ? record : JSON.stringify(record),
  );
}

export const handler = definePluginHandler<HttpLogConfig, Compiled>({
  name: 'http-log',
  version: '3.10.0',
  // Kong's PRIORITY.
  priority: 12,
  sdkVersion: '1.3.0',
  configure(config) {
    const { queue, warnings } = queueParams(config);
    const name = JSON.stringify([
      config.http_endpoint,
      config.method,
      config.content_type,
      config.timeout,
      config.keepalive,
      config.headers,
      queue,
    ]);
    return { name, queue, config, warnings };
  },
  log: enqueue,
  // A stream session's record goes into the same queue (same endpoint, same batches).
  streamLog: enqueue,
});
