/**
 * What a proxy worker needs to compile chains: the handlers of the enabled plugins (bundled and
 * custom, through the one loader) and the log they write to. Each worker loads them itself:
 * functions do not cross the process boundary.
 */

import type { PluginHandler } from '@turnpike/plugin-sdk';
import type { Logger } from '@turnpike/shared';
import { loadPlugins } from '@turnpike/shared/plugins';
import { BUNDLED_PLUGINS, BUNDLED_PLUGINS_DIR } from '../plugins/bundled.ts';
import type { PluginRuntimeOptions } from './compile.ts';

export interface PluginSelection {
  /** The `plugins` setting. */
  readonly enabled: readonly string[];
  /** The `plugin_paths` setting. */
  readonly pluginPaths: readonly string[];
}

export async function loadPluginRuntime(
  selection: PluginSelection,
  log: Logger,
): Promise<PluginRuntimeOptions> {
  const loaded = await loadPlugins({
    enabled: selection.enabled,
    pluginPaths: selection.pluginPaths,
    bundledDir: BUNDLED_PLUGINS_DIR,
    bundled: BUNDLED_PLUGINS,
    want: 'handler+schema',
    log,
  });
  const handlers = new Map<string, PluginHandler>();
  for (const [name, plugin] of loaded.plugins)
    if (plugin.handler !== undefined) handlers.set(name, plugin.handler);
  return { handlers, schemas: loaded.schemas, log };
}
