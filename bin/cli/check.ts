import { checkClusterTls, clusterTlsFromConfig } from '@turnpike/shared/cluster';
import { formatWarning, loadConfig } from '@turnpike/shared/config';
import type { Command } from 'commander';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .argument('[conf]', 'configuration file to check (default: as `start` finds it)')
    .description(
      'check the validity of a configuration file and the TURNPIKE_* environment, exactly as `start` does',
    )
    .action(async (conf: string | undefined) => {
      const loaded = await loadConfig({
        ...(conf === undefined ? {} : { file: conf }),
        env: process.env,
        cwd: process.cwd(),
      });
      // The cluster certificate files, read and matched as start does (traditional makes its own).
      if (loaded.config.role !== 'traditional') {
        checkClusterTls(await clusterTlsFromConfig(loaded.config, loaded.sources));
      }
      process.stdout.write(`configuration at ${loaded.file ?? '(defaults and environment)'} is valid\n`);
      for (const warning of loaded.warnings) process.stderr.write(formatWarning(warning));
    });
}
