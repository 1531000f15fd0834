export {
  findPlugin,
  type PluginOrigin,
  type PluginPlaces,
  type PluginSource,
  placesSearched,
} from './find.ts';
export {
  enabledPluginNames,
  findPluginDir,
  type LoadedPlugin,
  type LoadedPlugins,
  type LoadPluginsOptions,
  loadPluginAt,
  loadPlugins,
  NODE_MODULES,
  pluginsNotEnabled,
} from './load.ts';
export { installPluginModuleHooks, nodeSdkUrl } from './module-hooks.ts';
