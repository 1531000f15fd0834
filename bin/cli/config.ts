import { resolve } from 'node:path';
import { type LoadedConfig, loadConfig } from '@turnpike/shared/config';
import type { Command } from 'commander';

export interface ConfigOptions {
  conf?: string;
  prefix?: string;
}

/** Kong's common flags: `-c/--conf` for the file, `-p/--prefix` for the working directory. */
export function withConfigOptions(command: Command): Command {
  return command
    .option(
      '-c, --conf <file>',
      'configuration file (default: $TURNPIKE_CONF, then /etc/turnpike/turnpike.conf)',
    )
    .option(
      '-p, --prefix <dir>',
      'prefix directory: pid file, data-plane cache, sockets (overrides `prefix`)',
    );
}

/** Loads turnpike.conf + TURNPIKE_* exactly as `start` does; throws ConfigInvalidError naming key and source. */
export async function loadCliConfig(options: ConfigOptions): Promise<LoadedConfig> {
  const loaded = await loadConfig({
    ...(options.conf === undefined ? {} : { file: options.conf }),
    env: process.env,
    cwd: process.cwd(),
  });
  if (options.prefix !== undefined) {
    loaded.config.prefix = resolve(options.prefix);
    loaded.sources.prefix = '--prefix';
  }
  return loaded;
}
