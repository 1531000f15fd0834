export { type ChainEntry, CompiledChain, type CompiledInstance } from './chain.ts';
export {
  type ChainRoute,
  compilePluginChains,
  type PluginRuntimeOptions,
  pluginInstancesOf,
} from './compile.ts';
export { compileEntityLookup, type EntityContent } from './entity-lookup.ts';
export { loadPluginRuntime, type PluginSelection } from './load.ts';
export { currentPlugin, guardPluginExits, runInPlugin } from './plugin-scope.ts';
export {
  type PluginInstance,
  precedenceRank,
  type ResolvedPlugin,
  resolveRoutePlugins,
} from './precedence.ts';
