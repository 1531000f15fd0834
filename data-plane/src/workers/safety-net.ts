/**
 * The proxy worker's process-wide guards, installed once by worker-entry.ts before anything
 * else runs: plugin code may not end the worker (plugin-chain/plugin-scope.ts), and the
 * safety net (shared/src/process/safety-net.ts) logs what escapes every request guard, naming the
 * plugin it came from, and keeps the worker serving unless its state is no longer sound.
 */
import { addSafetyNetContext, createLogger, installSafetyNet } from '@turnpike/shared';
import { currentPlugin, guardPluginExits } from '../plugin-chain/index.ts';

function pluginContext(): Readonly<Record<string, unknown>> | undefined {
  const plugin = currentPlugin();
  return plugin === undefined ? undefined : { plugin };
}

export function installWorkerSafetyNet(): void {
  guardPluginExits();
  // The worker's own logger comes with its settings, later; failures are logged at error anyway.
  installSafetyNet({ log: createLogger({ name: 'turnpike' }), context: pluginContext });
}

/**
 * For a proxy worker that runs in the node's main process (./in-process-spawn.ts): the same plugin
 * guard, and the plugin's name on what escapes, through the net the main process installed.
 */
export function installInProcessWorkerGuards(): void {
  guardPluginExits();
  addSafetyNetContext(pluginContext);
}
