import type { Command } from 'commander';
import { runNode } from '../node/run.ts';
import { type ConfigOptions, loadCliConfig, withConfigOptions } from './config.ts';
import { stopRunning } from './signals.ts';

export function registerStart(program: Command): void {
  const start = async (options: ConfigOptions & { runMigrations?: boolean }) => {
    const load = async () => {
      const loaded = await loadCliConfig(options);
      if (options.runMigrations === true) {
        loaded.config.run_migrations = true;
        loaded.sources.run_migrations = '--run-migrations';
      }
      return loaded;
    };
    await runNode({ loaded: await load(), reloadConfig: load });
  };

  withConfigOptions(
    program
      .command('start')
      .description(
        'start Turnpike in the foreground; its role (traditional, control_plane, data_plane) comes from the configuration',
      )
      .option('--run-migrations', 'run pending database migrations before starting (as run_migrations = on)'),
  ).action(start);

  withConfigOptions(
    program
      .command('restart')
      .description('stop the Turnpike running in the prefix (if any), then start in the foreground')
      .option('--run-migrations', 'run pending database migrations before starting'),
  ).action(async (options: ConfigOptions & { runMigrations?: boolean }) => {
    await stopRunning(options);
    await start(options);
  });
}
