/**
 * The other direction of node-admin.ts: a traditional node's control plane runs the writes its
 * proxy workers' plugins ask for (oauth2's issued tokens and codes), with a writer per plugin
 * (control-plane/src/plugin-writes). `bin/` hands it to the data plane of a traditional node;
 * a hybrid or DB-less data plane has none, as a Kong data plane cannot write.
 */
export interface NodePluginWrites {
  /**
   * Runs `op` with `plugin`'s writer. `version` is the configuration version that holds the
   * write (0 when it changed no synced entity): the data plane answers the worker once it runs it.
   */
  write(plugin: string, op: unknown): Promise<{ readonly reply: unknown; readonly version: number }>;
}
