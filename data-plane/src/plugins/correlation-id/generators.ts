/** Kong 3.10's correlation id generators: uuid, uuid#counter (per worker), tracker. */
import { randomUUID } from 'node:crypto';
import type { PluginContext } from '@turnpike/plugin-sdk';

/** The worker's uuid and counter (Kong's init_worker): made on first use, one per process. */
let workerUuid: string | undefined;
let workerCounter = 0;

export function uuidCounter(): string {
  workerUuid ??= randomUUID();
  workerCounter++;
  return `${workerUuid}#${workerCounter}`;
}

/** server_addr-server_port-worker_pid-connection-connection_requests-now (seconds, 3 decimals). */
export function tracker(ctx: PluginContext): string {
  const connection = ctx.request.connection;
  return `${connection.serverAddress}-${ctx.request.port}-${process.pid}-${connection.serial}-${connection.requests}-${(Date.now() / 1000).toFixed(3)}`;
}

export function generate(generator: string, ctx: PluginContext): string {
  if (generator === 'uuid') return randomUUID();
  if (generator === 'tracker') return tracker(ctx);
  return uuidCounter();
}
