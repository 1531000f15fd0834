/**
 * The `SpawnWorker` of a node whose one proxy worker may run in its main process: each worker
 * is started where its pool's size says (the `start` message's `settings.workers`, sent right
 * after the spawn), in the main process when the pool has one worker (in-process-spawn.ts),
 * forked (cluster-spawn.ts) when it has more. A reload that changes `worker_processes` from 1 to
 * 2 therefore forks two workers (two cores), and back to 1 runs the next one in-process again.
 *
 * Every worker listens with `reusePort`, forked ones too: a rolling replacement runs the old and
 * the new workers side by side on the same ports, and a socket the main process holds (the
 * in-process worker's) and the cluster's shared one could not both bind a port otherwise.
 */

import { clusterSpawner } from './cluster-spawn.ts';
import { inProcessSpawner } from './in-process-spawn.ts';
import type { SpawnWorker, WorkerChannel } from './pool.ts';

export function sizedSpawner(): SpawnWorker {
  // Each made on first use: a node that never runs a worker in-process installs no guards in its
  // main process, and one that never forks does not set up the cluster.
  let inProcess: SpawnWorker | undefined;
  let forked: SpawnWorker | undefined;
  return (slot, events) => {
    let inner: WorkerChannel | undefined;
    let killed = false;
    return {
      get pid() {
        return inner?.pid;
      },
      send(message) {
        if (inner === undefined) {
          if (message.type !== 'start' || killed) return;
          let spawn: SpawnWorker;
          if (message.settings.workers === 1) {
            inProcess ??= inProcessSpawner();
            spawn = inProcess;
          } else {
            forked ??= clusterSpawner();
            spawn = forked;
          }
          inner = spawn(slot, events);
          inner.send({ ...message, settings: { ...message.settings, reusePort: true } });
          return;
        }
        inner.send(message);
      },
      kill(signal) {
        if (inner !== undefined) inner.kill(signal);
        else if (!killed) {
          // Killed before its start (the pool sends that right after the spawn): it never ran.
          killed = true;
          setImmediate(() => events.exit(null, signal));
        }
      },
    };
  };
}
