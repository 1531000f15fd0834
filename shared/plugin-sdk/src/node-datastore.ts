/**
 * The node's datastore, as a plugin running in a proxy worker reaches it: only a traditional
 * node (a control plane with a database in the same node) installs one; a data plane (hybrid or
 * DB-less) has none, as a Kong data plane cannot write (`nodeDatastore()` is then undefined).
 *
 * A plugin sends an operation of its own (`op`, structured-cloned) for the node's main process,
 * which runs it with the plugin's writer on the control plane (control-plane/src/plugin-writes)
 * and answers once the write is in the configuration every proxy worker runs: what a plugin
 * wrote is seen by the next request's `ctx.db`.
 */

import { nodeSlot } from './node-slot.ts';

/** A refusal the main process answered (the writer's error, with the catalogue's code when it has one). */
export class NodeDatastoreError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'NodeDatastoreError';
    this.code = code;
  }
}

export interface NodeDatastore {
  /** Runs `op` with `plugin`'s writer on the node's datastore; rejects with a NodeDatastoreError. */
  write(plugin: string, op: unknown): Promise<unknown>;
}

const SLOT = nodeSlot<NodeDatastore>('node-datastore');

/** The node's datastore, or undefined on a node whose proxy cannot write (a data plane). */
export function nodeDatastore(): NodeDatastore | undefined {
  return SLOT.get();
}

/** For the engine: a traditional node's workers install the IPC client before the first request. */
export function installNodeDatastore(datastore: NodeDatastore | undefined): void {
  SLOT.set(datastore);
}
