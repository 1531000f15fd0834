import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { SpawnWorker, WorkerChannel } from './pool.ts';
import { isWorkerMessage } from './protocol.ts';

/** The script each worker runs. */
export const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.ts', import.meta.url));

/**
 * Forks workers with node:cluster, so that their listeners share the main process's sockets.
 * 'advanced' serialization (structured clone) carries a configuration's Maps without JSON.
 * The scheduling policy is node's (round-robin on Linux and macOS; NODE_CLUSTER_SCHED_POLICY=none
 * lets the kernel hand connections out instead).
 */
export function clusterSpawner(exec: string = WORKER_ENTRY): SpawnWorker {
  cluster.setupPrimary({ exec, args: [], serialization: 'advanced' });
  return (_slot, events) => {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) events.message(message);
    });
    worker.on('exit', (code: number | null, signal: string | null) => events.exit(code, signal));
    // An IPC write to a worker that just died: its 'exit' follows, and that is what the pool acts on.
    worker.on('error', () => {});
    const channel: WorkerChannel = {
      get pid() {
        return worker.process.pid;
      },
      send(message) {
        if (worker.isConnected()) worker.send(message, () => {});
      },
      kill(signal) {
        if (worker.process.exitCode === null && worker.process.signalCode === null)
          worker.process.kill(signal);
      },
    };
    return channel;
  };
}
