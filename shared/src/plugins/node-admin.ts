/**
 * How a node's Admin API reaches what plugins keep in its proxy workers (proxy-cache's entries):
 * the data plane's worker pool implements it (each worker runs the plugin handler's `nodeAdmin`
 * hook), `bin/` hands it to the control plane of a traditional node. A hybrid control plane has
 * no proxy workers, so it has none, as Kong's control plane has no proxy cache of its own.
 */
export interface NodePluginAdmin {
  /** Runs `op` through `plugin`'s nodeAdmin hook in every proxy worker; the replies, one per worker. */
  call(plugin: string, op: unknown): Promise<unknown[]>;
}
