/**
 * The stream log phase: when a session of a route with log entries (./plugins.ts) closes, each
 * entry's `streamLog(ctx, conf)` runs with its compiled instance, in priority order, inside the
 * plugin's scope (../plugin-chain/plugin-scope.ts). A throw (or a rejected promise, though the
 * phase is synchronous) is logged with the plugin's name; nothing waits for a plugin, nothing it
 * does can reach the session (it is over) or the worker. A route without entries costs one
 * length check.
 */

import type { SerializedStreamRecord, StreamLogContext } from '@turnpike/plugin-sdk';
import { toError } from '@turnpike/shared';
import { isThenable } from '../plugin-chain/instance.ts';
import { runInPlugin } from '../plugin-chain/plugin-scope.ts';
import type { StreamLogEntry } from './plugins.ts';
import { serializeStream } from './serialize.ts';
import type { ClosedStream } from './stream-call.ts';

function failed(entry: StreamLogEntry, done: ClosedStream, err: unknown): void {
  entry.log.error(
    { plugin: entry.name, phase: 'streamLog', route: done.route.route.id, err: toError(err) },
    'plugin failed',
  );
}

/** Runs the log entries of `done`'s route; never throws. */
export function runStreamLog(done: ClosedStream): void {
  const entries = done.route.logs;
  if (entries.length === 0) return;
  let record: SerializedStreamRecord | undefined;
  const serialize = (): SerializedStreamRecord => {
    record ??= serializeStream(done);
    return record;
  };
  const route = done.route.route;
  const service = done.route.service;
  for (const entry of entries) {
    const instance = entry.instance;
    try {
      if (instance.failure !== undefined) throw instance.failure;
      const ctx: StreamLogContext = Object.freeze({
        route,
        service,
        cache: instance.cache,
        log: entry.log,
        serialize,
      });
      const result: unknown = runInPlugin(entry.name, entry.streamLog, ctx, instance.conf);
      if (isThenable(result)) Promise.resolve(result).catch((err: unknown) => failed(entry, done, err));
    } catch (err) {
      failed(entry, done, err);
    }
  }
}
