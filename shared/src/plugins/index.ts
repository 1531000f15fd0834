export { logDrops } from '@turnpike/plugin-sdk';
export {
  findPlugin,
  type PluginOrigin,
  type PluginPlaces,
  type PluginSource,
  placesSearched,
  pluginInFolder,
} from './find.ts';
export {
  type AvailablePlugin,
  enabledPluginNames,
  findPluginDir,
  type LoadedPlugin,
  type LoadedPlugins,
  type LoadPluginsOptions,
  loadPluginAt,
  loadPlugins,
  NODE_MODULES,
  type PluginMeta,
  pluginsNotEnabled,
} from './load.ts';
export { installPluginModuleHooks, nodeSdkUrl } from './module-hooks.ts';
export type { NodePluginAdmin } from './node-admin.ts';
export type { NodePluginWrites } from './node-writes.ts';
