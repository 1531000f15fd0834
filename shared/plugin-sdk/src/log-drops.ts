/**
 * Log entries the logging plugins dropped in this process (a full queue, a batch out of retries),
 * per plugin name: counted by the plugins (`countLogDrops`), read by the data plane's
 * `/metrics` (`turnpike_log_entries_dropped`).
 */
const drops = new Map<string, number>();

/** Counts `count` entries `plugin` dropped. */
export function countLogDrops(plugin: string, count: number): void {
  drops.set(plugin, (drops.get(plugin) ?? 0) + count);
}

/** The counts so far, per plugin. */
export function logDrops(): ReadonlyMap<string, number> {
  return drops;
}
