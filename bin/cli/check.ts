import { ConfigInvalidError, readRunningPid, toError } from '@turnpike/shared';
import { checkClusterTls, clusterTlsFromConfig } from '@turnpike/shared/cluster';
import { formatWarning, type LoadedConfig, loadConfig, resolveDatastore } from '@turnpike/shared/config';
import { pluginsNotEnabled } from '@turnpike/shared/plugins';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import type { Command } from 'commander';
import { loadNodePlugins } from '../node/plugins.ts';

/**
 * The plugins a DB-less node's declarative file (`declarative_config`, or the string) uses, read
 * and validated as `start` reads it: a file that does not parse fails the check the same way.
 */
async function declarativePluginNames(
  loaded: LoadedConfig,
  pluginSchemas: PluginSchemaLookup,
): Promise<string[]> {
  const { readInitialDeclarative } = await import('@turnpike/control-plane/dbless');
  const initial = await readInitialDeclarative(loaded.config, pluginSchemas);
  return [...new Set(initial?.config.entities.plugins.map((p) => String(p.name)) ?? [])];
}

/**
 * The plugins the node's datastore uses, for "plugin is in use but not enabled" as `start` checks
 * it (control plane and traditional roles). A datastore in memory is empty at every start; an
 * embedded one held open by a running node is not opened a second time. Undefined (with the
 * reason) when it cannot be read: the check then says it did not look.
 */
async function pluginsInUse(
  loaded: LoadedConfig,
  pluginSchemas: PluginSchemaLookup,
): Promise<{ names: string[] } | { skipped: string }> {
  const target = resolveDatastore(loaded.config, loaded.sources);
  if (target.kind === 'memory') return { names: [] };
  if (target.kind === 'off') return { names: await declarativePluginNames(loaded, pluginSchemas) };
  if (target.kind === 'pglite') {
    const pid = await readRunningPid(loaded.config.prefix);
    if (pid !== undefined)
      return { skipped: `the embedded datastore is open in the running node (pid ${pid})` };
  }
  const { openDatastore, readPluginsInUse } = await import('@turnpike/control-plane/store');
  try {
    const datastore = await openDatastore(target);
    try {
      return { names: await readPluginsInUse(datastore) };
    } finally {
      await datastore.close();
    }
  } catch (err) {
    return { skipped: `the datastore could not be read: ${toError(err).message}` };
  }
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .argument('[conf]', 'configuration file to check (default: as `start` finds it)')
    .description(
      'check the validity of a configuration file and the TURNPIKE_* environment, exactly as `start` does: its keys, the cluster certificate, the plugins it enables and those its datastore or declarative file uses, the declarative file itself',
    )
    .action(async (conf: string | undefined) => {
      const loaded = await loadConfig({
        ...(conf === undefined ? {} : { file: conf }),
        env: process.env,
        cwd: process.cwd(),
      });
      const { config, sources } = loaded;
      // The cluster certificate files, read and matched as start does (traditional makes its own).
      if (config.role !== 'traditional') checkClusterTls(await clusterTlsFromConfig(config, sources));
      // Every enabled plugin found and loaded (schema checked, handler too outside a control plane).
      const plugins = await loadNodePlugins(config, sources);
      // A data plane's declarative_config, read as start reads it (a bad file fails both).
      if (config.role === 'data_plane') await declarativePluginNames(loaded, plugins.schemas);
      if (config.role !== 'data_plane') {
        const inUse = await pluginsInUse(loaded, plugins.schemas);
        if ('skipped' in inUse) {
          process.stderr.write(`warning: plugins in use were not checked: ${inUse.skipped}\n`);
        } else {
          const problems = pluginsNotEnabled(inUse.names, new Set(plugins.names));
          if (problems.length > 0) {
            throw new ConfigInvalidError(
              problems.map((message) => ({ key: 'plugins', source: sources.plugins, message })),
            );
          }
        }
      }
      process.stdout.write(`configuration at ${loaded.file ?? '(defaults and environment)'} is valid\n`);
      for (const warning of loaded.warnings) process.stderr.write(formatWarning(warning));
    });
}
