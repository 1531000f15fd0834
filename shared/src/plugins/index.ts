export {
  enabledPluginNames,
  findPluginDir,
  type LoadedPlugin,
  type LoadedPlugins,
  type LoadPluginsOptions,
  loadPlugins,
  pluginsNotEnabled,
} from './load.ts';
