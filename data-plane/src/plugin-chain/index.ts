export { type ChainEntry, CompiledChain } from './chain.ts';
export {
  type ChainRoute,
  compilePluginChains,
  compilePlugins,
  type PluginRuntimeOptions,
  pluginInstancesOf,
} from './compile.ts';
export { compileEntityLookup, type EntityContent, EntityIndex } from './entity-lookup.ts';
export { CompiledInstance } from './instance.ts';
export { loadPluginRuntime, type PluginSelection } from './load.ts';
export { compileOrPatchPlugins, patchPlugins } from './patch.ts';
export { currentPlugin, guardPluginExits, runInPlugin } from './plugin-scope.ts';
export { CompiledPlugins } from './plugins.ts';
export {
  type PluginInstance,
  precedenceRank,
  type ResolvedPlugin,
  resolveRoutePlugins,
} from './precedence.ts';
