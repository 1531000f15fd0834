/** Shared by the plugin e2e tests: entities stored as the control plane would store them. */
import assert from 'node:assert/strict';
import { BUNDLED_PLUGINS, BUNDLED_PLUGINS_DIR } from '@turnpike/data-plane/plugins/bundled';
import {
  compileRuntime,
  DEFAULT_SETTINGS,
  type ProxySettings,
  type Runtime,
  RuntimeHolder,
  startProxy,
  UpstreamPools,
} from '@turnpike/data-plane/proxy';
import { createLogger, type Logger } from '@turnpike/shared';
import type { PluginHandler } from '@turnpike/shared/plugin-sdk';
import { type LoadedPlugins, loadPlugins } from '@turnpike/shared/plugins';
import { type EntityName, validateEntity } from '@turnpike/shared/schema';

export type Entities = Partial<Record<EntityName, Record<string, unknown>[]>>;

/** Validates as the control plane would (defaults filled, plugin configs by their schema). */
export function stored(plugins: LoadedPlugins, entities: Entities): Map<string, Map<string, unknown>> {
  const content = new Map<string, Map<string, unknown>>();
  for (const [type, list] of Object.entries(entities) as [EntityName, Record<string, unknown>[]][]) {
    const byId = new Map<string, unknown>();
    for (const input of list) {
      const result = validateEntity(type, input, { operation: 'insert', pluginSchemas: plugins.schemas });
      assert.ok(result.ok, `${type}: ${JSON.stringify(result.ok ? '' : result.fields)}`);
      const value = result.value as Record<string, unknown>;
      byId.set(input.id as string, {
        ...value,
        ...input,
        ...(value.config === undefined ? {} : { config: value.config }),
      });
    }
    content.set(type, byId);
  }
  return content;
}

/** A plugin instance on one route. */
export function plugin(name: string, routeId: string, config: Record<string, unknown> = {}) {
  return { id: crypto.randomUUID(), name, route: { id: routeId }, config };
}

/** The bundled plugins, handlers and schemas, as a data plane loads them. */
export function bundledPlugins(): Promise<LoadedPlugins> {
  return loadPlugins({
    enabled: ['bundled'],
    pluginPaths: [],
    bundledDir: BUNDLED_PLUGINS_DIR,
    bundled: BUNDLED_PLUGINS,
    want: 'handler+schema',
  });
}

export interface PluginProxy extends AsyncDisposable {
  readonly port: number;
  readonly runtime: Runtime;
}

/**
 * A proxy in this process whose Runtime is compiled from `entities` with the loaded plugins'
 * handlers (plus `extra` test-only handlers), as a proxy worker compiles a synced configuration.
 */
export async function pluginProxy(
  plugins: LoadedPlugins,
  entities: Map<string, Map<string, unknown>>,
  extra: ReadonlyMap<string, PluginHandler> = new Map(),
  options: { settings?: ProxySettings; log?: Logger } = {},
): Promise<PluginProxy> {
  const log = options.log ?? createLogger({ level: 'silent' });
  const pools = new UpstreamPools();
  const handlers = new Map<string, PluginHandler>(extra);
  for (const [name, loaded] of plugins.plugins)
    if (loaded.handler !== undefined) handlers.set(name, loaded.handler);
  const runtime = compileRuntime(
    {
      version: 1,
      services: [...(entities.get('services')?.values() ?? [])] as never,
      routes: [...(entities.get('routes')?.values() ?? [])] as never,
      entities,
    },
    { dispatchers: pools, plugins: { handlers, log } },
  );
  assert.deepEqual(runtime.problems, []);
  const proxy = await startProxy({
    listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
    holder: new RuntimeHolder(runtime),
    settings: options.settings ?? DEFAULT_SETTINGS,
    log,
  });
  return {
    port: proxy.ports[0]!,
    runtime,
    async [Symbol.asyncDispose]() {
      await proxy.stop('now', Date.now());
      await pools.close();
    },
  };
}
