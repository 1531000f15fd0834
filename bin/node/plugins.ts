import type { Logger } from '@turnpike/shared';
import type { ConfigSources, TurnpikeConfig } from '@turnpike/shared/config';
import { type LoadedPlugins, loadPlugins } from '@turnpike/shared/plugins';

/**
 * The plugins a node loads, by its `plugins` and `plugin_paths`: `start` and `check` call this
 * one function, so `check` refuses exactly what `start` would. The control plane needs the
 * schemas (and each handler's version and priority, for `GET /`); a data plane (and traditional)
 * the handlers too.
 */
export async function loadNodePlugins(
  config: TurnpikeConfig,
  sources: ConfigSources,
  log?: Logger,
): Promise<LoadedPlugins> {
  const { BUNDLED_PLUGINS, BUNDLED_PLUGINS_DIR } = await import('@turnpike/data-plane/plugins/bundled');
  return loadPlugins({
    enabled: config.plugins,
    pluginPaths: config.plugin_paths,
    bundledDir: BUNDLED_PLUGINS_DIR,
    bundled: BUNDLED_PLUGINS,
    want: config.role === 'control_plane' ? 'schema+meta' : 'handler+schema',
    source: sources.plugins,
    ...(log === undefined ? {} : { log }),
  });
}
