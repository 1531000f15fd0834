/**
 * A traditional node's proxy worker's side of the SDK's `nodeDatastore()`: each write is one
 * `datastore-write` message to the main process, answered by one `datastore-written` (the pool
 * runs it with the control plane's writer for that plugin, `WorkerPoolOptions.datastore`).
 * Writes are rare next to proxied requests (a token issued, a code handed out), so no batching.
 */
import { type NodeDatastore, NodeDatastoreError } from '@turnpike/plugin-sdk';
import type { PrimaryMessage, WorkerMessage } from './protocol.ts';

type Written = Extract<PrimaryMessage, { type: 'datastore-written' }>;

export class IpcNodeDatastore implements NodeDatastore {
  readonly #send: (message: WorkerMessage) => void;
  readonly #pending = new Map<number, PromiseWithResolvers<unknown>>();
  #seq = 0;
  #closed: string | undefined;

  constructor(send: (message: WorkerMessage) => void) {
    this.#send = send;
  }

  write(plugin: string, op: unknown): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(new NodeDatastoreError(this.#closed));
    const seq = ++this.#seq;
    const waiter = Promise.withResolvers<unknown>();
    this.#pending.set(seq, waiter);
    this.#send({ type: 'datastore-write', seq, plugin, op });
    return waiter.promise;
  }

  settle(message: Written): void {
    const waiter = this.#pending.get(message.seq);
    if (waiter === undefined) return;
    this.#pending.delete(message.seq);
    if (message.error === undefined) waiter.resolve(message.reply);
    else waiter.reject(new NodeDatastoreError(message.error, message.code));
  }

  /** The main process is gone: every write in flight, and any later, fails. */
  close(reason: string): void {
    this.#closed = reason;
    for (const waiter of this.#pending.values()) waiter.reject(new NodeDatastoreError(reason));
    this.#pending.clear();
  }
}
