/**
 * The `SpawnWorker` for a node whose one proxy worker runs in its main process (a data plane or
 * a DB-less traditional node with `worker_processes = 1`, through ./sized-spawn.ts): no second process, so no second Node runtime, module graph and
 * heap (~75 MB at idle, see test/bench/results). The pool drives it exactly as a forked worker —
 * the same messages, answered on a later tick, configurations structured-cloned as the IPC
 * channel would — so readiness, refusals, deltas and `/status` do not change; a worker row's pid
 * is the node's own.
 *
 * What a separate process gave and this one keeps: plugin code still cannot end the process
 * (`guardPluginExits`, installed here), and the safety net names the plugin an escaped error came
 * from, so a faulty plugin fails its own requests only. What it cannot keep: a worker "restarted"
 * after a timeout is stopped and started again in the same process, and anything that blocks
 * the worker's event loop blocks the node's sync stream with it.
 */

import type { SpawnWorker } from './pool.ts';
import type { PrimaryMessage, WorkerMessage } from './protocol.ts';
import { installInProcessWorkerGuards } from './safety-net.ts';
import { ProxyWorker } from './worker.ts';

export function inProcessSpawner(): SpawnWorker {
  installInProcessWorkerGuards();
  return (_slot, events) => {
    let started: Promise<ProxyWorker> | undefined;
    let exited = false;
    const reply = (message: WorkerMessage): void => {
      setImmediate(() => {
        if (!exited) events.message(message);
      });
    };
    const end = (mode: 'now' | 'drain', deadline: number, signal: string | null): void => {
      if (exited) return;
      const stopped = started === undefined ? Promise.resolve() : started.then((w) => w.stop(mode, deadline));
      stopped
        .catch(() => {})
        .finally(() => {
          if (exited) return;
          exited = true;
          events.exit(signal === null ? 0 : null, signal);
        });
    };
    const handle = (message: PrimaryMessage): void => {
      switch (message.type) {
        case 'start':
          if (started !== undefined) return;
          // reusePort: a reload's rolling replacement starts the next in-process worker while this
          // one still listens on the same ports (forked workers share the primary's sockets instead).
          started = ProxyWorker.start(
            message.slot,
            { ...message.settings, reusePort: true },
            message.config,
            reply,
          );
          started.catch((error: unknown) => {
            reply({ type: 'start-failed', error: error instanceof Error ? error.message : String(error) });
            setImmediate(() => {
              if (exited) return;
              exited = true;
              events.exit(1, null);
            });
          });
          return;
        case 'apply':
        case 'apply-delta':
          started?.then(
            (worker) => worker.handle(message),
            () => {},
          );
          return;
        case 'stop':
          end(message.mode, message.deadline, null);
          return;
        case 'counters-taken':
          // One worker counts in its own store: no counters travel.
          return;
        case 'datastore-written':
          // Only a traditional node writes, and it forks its workers.
          return;
        case 'metrics':
          if (started === undefined) reply({ type: 'metrics', seq: message.seq, metrics: [] });
          else
            started.then(
              (worker) => worker.sendMetrics(message.seq),
              () => reply({ type: 'metrics', seq: message.seq, metrics: [] }),
            );
          return;
        case 'reopen-logs':
          started?.then(
            (worker) => worker.reopenLogs(),
            () => {},
          );
          return;
        case 'plugin-admin':
          started?.then(
            (worker) => worker.pluginAdmin(message),
            () => reply({ type: 'admin-reply', seq: message.seq, error: 'the worker did not start' }),
          );
          return;
        case 'balancer-admin':
          // A hybrid data plane's health report and its control plane's target marks.
          started?.then(
            (worker) => worker.balancerAdmin(message),
            () => reply({ type: 'admin-reply', seq: message.seq, error: 'the worker did not start' }),
          );
          return;
        default:
          // Every message kind is handled above: a new one fails to type-check here.
          message satisfies never;
      }
    };
    return {
      pid: process.pid,
      send(message) {
        // As over the IPC channel: a copy, delivered on a later tick.
        const copy = structuredClone(message);
        setImmediate(() => handle(copy));
      },
      kill(signal) {
        end('now', Date.now(), signal);
      },
    };
  };
}
