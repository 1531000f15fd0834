/**
 * A reload (SIGHUP) applies everything or nothing: the new configuration goes through the checks
 * `start` runs (the keys, already, by loadConfig; then the plugins it enables, loaded as start
 * loads them, and those the running configuration uses, "in use but not enabled"), every changed
 * key must be one a reload can apply, and only then is it applied: the data plane's workers
 * replaced one by one when what they start with changed (listeners, plugins, pools, DNS,
 * `worker_processes`), the Admin API's listeners added and removed, the control plane's plugin
 * schemas swapped, the log level set. Any
 * failure before the apply refuses the reload with its reason (`turnpike reload` exits 1) and
 * keeps the running configuration; a worker that cannot start fails the replacement and the old
 * workers keep serving.
 */
import { ConfigInvalidError, type ConfigProblem, type Logger } from '@turnpike/shared';
import type { ConfigKey, LoadedConfig, TurnpikeConfig } from '@turnpike/shared/config';
import type { AvailablePlugin, LoadedPlugins } from '@turnpike/shared/plugins';
import { pluginsNotEnabled } from '@turnpike/shared/plugins';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import { loadNodePlugins } from './plugins.ts';

/** The control plane's view of the enabled plugins, swapped in place by a reload. */
export class PluginSet {
  #loaded: LoadedPlugins;
  /** Read by the Admin API (`GET /`, `/plugins/enabled`): the same array, refilled. */
  readonly available: AvailablePlugin[];
  readonly lookup: PluginSchemaLookup = (name) => this.#loaded.schemas(name);

  constructor(loaded: LoadedPlugins) {
    this.#loaded = loaded;
    this.available = [...loaded.available];
  }

  get names(): readonly string[] {
    return this.#loaded.names;
  }

  swap(loaded: LoadedPlugins): void {
    this.#loaded = loaded;
    this.available.splice(0, this.available.length, ...loaded.available);
  }
}

/** The parts of a running node a reload reaches. */
export interface ReloadablePlanes {
  readonly pluginSet: PluginSet;
  readonly cp?: {
    pluginsInUse(): readonly string[];
    reconcileAdminListeners(
      entries: TurnpikeConfig['admin_listen'],
    ): Promise<{ commit(): Promise<void>; rollback(): Promise<void> }>;
  };
  readonly dp?: {
    reconfigure(next: TurnpikeConfig, plugins?: readonly { name: string; version: string }[]): Promise<void>;
    changesWorkers(current: TurnpikeConfig, next: TurnpikeConfig, key: ConfigKey): Promise<boolean>;
  };
}

/** Applied by any reload whatever the role. */
const ALWAYS_LIVE = new Set<string>(['log_level', 'plugins', 'plugin_paths']);

function changedKeys(current: TurnpikeConfig, next: TurnpikeConfig): ConfigKey[] {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]) as Set<ConfigKey>;
  return [...keys].filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key])).sort();
}

/**
 * Checks `next` as start would and applies it; throws (ConfigInvalidError naming key and
 * source) when it cannot be applied whole, having changed nothing.
 */
export async function applyReload(
  current: TurnpikeConfig,
  next: LoadedConfig,
  planes: ReloadablePlanes,
  log: Logger,
): Promise<TurnpikeConfig> {
  const { config, sources } = next;
  const changed = changedKeys(current, config);
  const problems: ConfigProblem[] = [];
  for (const key of changed) {
    if (ALWAYS_LIVE.has(key)) continue;
    if (key === 'admin_listen' && planes.cp !== undefined) continue;
    if (planes.dp !== undefined && (await planes.dp.changesWorkers(current, config, key))) continue;
    problems.push({
      key,
      source: sources[key] ?? 'config',
      message: 'changed: a reload cannot apply it, restart to',
    });
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems);

  // Start's plugin checks: every enabled plugin found and loaded (an uninstalled one refuses the
  // reload with Kong's load error), and every plugin the configuration uses still enabled.
  const pluginsChanged = changed.includes('plugins') || changed.includes('plugin_paths');
  const loaded = pluginsChanged ? await loadNodePlugins(config, sources, log) : undefined;
  if (loaded !== undefined && planes.cp !== undefined) {
    const notEnabled = pluginsNotEnabled(planes.cp.pluginsInUse(), new Set(loaded.names));
    if (notEnabled.length > 0)
      throw new ConfigInvalidError(
        notEnabled.map((message) => ({ key: 'plugins', source: sources.plugins, message })),
      );
  }

  // Admin listeners added are opened first (a port in use refuses the reload), removed ones
  // closed last, once everything else is applied.
  const admin = changed.includes('admin_listen')
    ? await planes.cp?.reconcileAdminListeners(config.admin_listen)
    : undefined;
  try {
    if (planes.dp !== undefined) await planes.dp.reconfigure(config, loaded?.versions);
  } catch (error) {
    await admin?.rollback();
    throw error;
  }
  if (loaded !== undefined) planes.pluginSet.swap(loaded);
  await admin?.commit();
  if (changed.length > 0) log.info({ keys: changed }, 'reload applied');
  return config;
}
