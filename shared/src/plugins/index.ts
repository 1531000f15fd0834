export {
  type AvailablePlugin,
  enabledPluginNames,
  findPluginDir,
  type LoadedPlugin,
  type LoadedPlugins,
  type LoadPluginsOptions,
  loadPlugins,
  type PluginMeta,
  pluginsNotEnabled,
} from './load.ts';
