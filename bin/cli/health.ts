import { createRequire } from 'node:module';
import { UsageError } from '@turnpike/shared';
import { formatListenAddress } from '@turnpike/shared/config';
import type { Command } from 'commander';
import { loadCliConfig, withConfigOptions } from './config.ts';

/** The probe of bin/health.cjs, the light entry the images' HEALTHCHECK runs. */
interface HealthProbe {
  statusUrl(listenText: string, ready: boolean): string | undefined;
  probe(url: string, timeoutMs: number): Promise<{ ok: boolean; message: string }>;
}

/**
 * Asks the local status listener after checking the configuration as `start` does; exit 0 when
 * healthy. The same probe as bin/health.cjs, which skips the check to stay light.
 */
export function registerHealth(program: Command): void {
  withConfigOptions(
    program
      .command('health')
      .description("check that Turnpike serves: exit 0 when the status listener's /status answers 200")
      .option('--ready', 'check readiness (/status/ready) instead of liveness')
      .option('--timeout <ms>', 'how long to wait for an answer', '3000'),
  ).action(async (options: { conf?: string; prefix?: string; ready?: boolean; timeout: string }) => {
    const { config } = await loadCliConfig(options);
    const listener = config.status_listen[0];
    if (listener === undefined) throw new UsageError('status_listen is off: nothing to ask');
    const health = createRequire(import.meta.url)('../health.cjs') as HealthProbe;
    const url = health.statusUrl(formatListenAddress(listener), options.ready === true) as string;
    const result = await health.probe(url, Number(options.timeout));
    if (result.ok) {
      process.stdout.write(`Turnpike is ${options.ready ? 'ready' : 'healthy'} at ${url}\n`);
      return;
    }
    process.stderr.write(`Error: ${result.message}\n`);
    process.exitCode = 1;
  });
}
