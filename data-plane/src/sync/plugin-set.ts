/**
 * The plugins a configuration uses against the plugins this data plane announced in its Hello,
 * checked by the sync client before `apply` (before any worker compiles): a configuration using
 * one it lacks is refused with PluginSetIncompatibleError (TP_PLUGIN_SET_INCOMPATIBLE, carried by
 * the Nack), which the data plane reports as "not ready" while it keeps serving its last good
 * configuration. Every plugins
 * entity counts, enabled or not, as Kong's plugins iterator counts them. A whole configuration is
 * checked entity by entity; a delta only in the plugins it changed (what it builds on passed).
 */
import { PluginSetIncompatibleError } from '@turnpike/shared';
import type { ConfigDelta, VersionedConfig } from '@turnpike/shared/sync';

function nameOf(entity: unknown): string | undefined {
  const name = (entity as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** The plugin names `next` uses that `installed` lacks (only those `delta` touched, with one). */
export function missingPlugins(
  next: VersionedConfig,
  delta: ConfigDelta | undefined,
  installed: ReadonlySet<string>,
): string[] {
  const plugins = next.config.get('plugins');
  if (plugins === undefined) return [];
  const missing = new Set<string>();
  const consider = (entity: unknown) => {
    const name = nameOf(entity);
    if (name !== undefined && !installed.has(name)) missing.add(name);
  };
  if (delta === undefined) for (const entity of plugins.values()) consider(entity);
  else for (const change of delta.changes) if (change.entity === 'plugins') consider(plugins.get(change.id));
  return [...missing].sort();
}

/** Throws PluginSetIncompatibleError when `next` uses a plugin `installed` lacks. */
export function checkPluginSet(
  next: VersionedConfig,
  delta: ConfigDelta | undefined,
  installed: ReadonlySet<string>,
): void {
  const missing = missingPlugins(next, delta, installed);
  if (missing.length === 0) return;
  throw new PluginSetIncompatibleError(
    missing,
    `${missing.map((name) => `${name} plugin is in use but not enabled`).join('; ')}: the configuration uses ${missing.length > 1 ? 'plugins' : 'plugin'} ${missing.join(', ')}, not installed on this data plane`,
  );
}
