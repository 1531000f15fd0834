import type { Command } from 'commander';
import { request } from 'undici';
import { loadCliConfig, withConfigOptions } from './config.ts';

/** Asks the local status listener; exit 0 when healthy. It is the Docker HEALTHCHECK. */
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
    if (listener === undefined) throw new Error('status_listen is off: nothing to ask');
    const host = listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host === '::' ? '::1' : listener.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${listener.port}/status${options.ready ? '/ready' : ''}`;
    const timeout = Number(options.timeout);
    try {
      const res = await request(url, { headersTimeout: timeout, bodyTimeout: timeout });
      const body = await res.body.text();
      if (res.statusCode === 200) {
        process.stdout.write(`Turnpike is ${options.ready ? 'ready' : 'healthy'} at ${url}\n`);
        return;
      }
      process.stderr.write(`Error: ${url} answered ${res.statusCode}: ${body}\n`);
    } catch (err) {
      process.stderr.write(`Error: Turnpike is not running (${url}: ${(err as Error).message})\n`);
    }
    process.exitCode = 1;
  });
}
